"""Offline speech: microphone capture and recognisers (Vosk, PocketSphinx) behind one small interface.

    vocab        the words and grammar recognisers are limited to (from garden.language)
    recognisers  Recogniser (start / accept / finish), Vosk and PocketSphinx, open_recogniser()
    capture      the microphone (sounddevice), clear errors when there is none
    game         push-to-talk and hands-free listening for the game window
    audio        WAV files, resampling, levels, espeak-ng speech and noise (tests, benches)
    say, bench   `garden say FILE.wav` and `garden bench voice`
    fetch        `garden models fetch vosk`
"""

from __future__ import annotations

import atexit
import inspect
import threading


def game_hooks(session, args) -> dict:
    """Keyword arguments for garden.ui.play that add voice to the window (on_event: SPACE is
    push-to-talk; on_frame). A headless run has no keyboard, so it only listens with --listen."""
    if getattr(args, "headless", False) and not getattr(args, "listen", False):
        return {}
    from garden.speech.game import VoiceGame

    engine = None if args.voice in (None, "auto") else args.voice
    game = VoiceGame(session, engine=engine, vosk_model=args.vosk_model, open_vocabulary=args.open_vocabulary,
                     input_device=args.input_device, listen=args.listen)
    game.start()
    if engine is None:  # the first voice use without a Vosk model: say so and download it
        from garden.speech.fetch import offer_download

        def offer() -> None:
            if game.ready.wait(120) and not game.failed and game.recogniser.name != "vosk":
                offer_download(session.voice, args.vosk_model)
        threading.Thread(target=offer, name="garden-vosk-offer", daemon=True).start()
    atexit.register(game.close)
    hooks = {"on_event": game.on_event, "on_frame": game.on_frame}
    from garden import ui

    accepted = inspect.signature(ui.play).parameters
    return {name: hook for name, hook in hooks.items() if name in accepted}
