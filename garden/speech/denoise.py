"""Noise suppression in front of a recogniser: WebRTC's noise suppressor (the `webrtc-noise-gain`
package, as Home Assistant's voice pipeline uses it) cleans each 10 ms of microphone audio before
the recogniser hears it.

    rec = Denoised(PocketSphinxRecogniser(), level=2)   # the same interface as any Recogniser
"""

from __future__ import annotations

from garden.speech.recognisers import Recogniser, RecogniserError

FRAME_BYTES = 320  # 10 ms of 16 kHz int16: the frame WebRTC's audio processing works on


def have_denoiser() -> bool:
    try:
        import webrtc_noise_gain  # noqa: F401
    except ImportError:
        return False
    return True


class Denoised(Recogniser):
    """`inner` hearing the microphone through WebRTC noise suppression at `level` (1 mild .. 4
    strongest). The suppressor keeps its noise estimate from one command to the next, as the
    microphone's noise stays."""

    def __init__(self, inner: Recogniser, level: int = 2):
        try:
            from webrtc_noise_gain import AudioProcessor
        except ImportError as exc:
            raise RecogniserError("Noise suppression needs the webrtc-noise-gain package "
                                  "(pip install webrtc-noise-gain).") from exc
        self.inner, self.level = inner, level
        self.name, self.sample_rate, self.note = inner.name, inner.sample_rate, inner.note
        self.description = f"{inner.description}, noise suppression {level}"
        self._processor = AudioProcessor(0, level)  # no automatic gain: the recognisers normalise levels
        self._pending = b""

    def _clean(self, pcm: bytes) -> bytes:
        data = self._pending + pcm
        whole = len(data) - len(data) % FRAME_BYTES
        self._pending = data[whole:]
        return b"".join(self._processor.Process10ms(data[at:at + FRAME_BYTES]).audio
                        for at in range(0, whole, FRAME_BYTES))

    def start(self) -> None:
        self._pending = b""
        self.inner.start()

    def accept(self, pcm: bytes) -> str:
        return self.inner.accept(self._clean(pcm))

    def finish(self) -> str:
        if self._pending:  # the last part of a frame: pad it to a whole one
            self.inner.accept(self._clean(bytes(FRAME_BYTES - len(self._pending))))
        return self.inner.finish()
