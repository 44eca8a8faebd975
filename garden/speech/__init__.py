"""Offline speech: microphone capture and recognisers (Vosk, PocketSphinx) behind one small interface.

    vocab        the words and grammar recognisers are limited to (from garden.language)
    recognisers  Recogniser (start / accept / finish), Vosk and PocketSphinx, open_recogniser()
    capture      the microphone (sounddevice), clear errors when there is none
    endpoint     where speech starts and ends: hands-free listening, and the speech in a recording
    audio        sound files of any layout, resampling, levels, espeak-ng speech and noise (tests, benches)
    wer          word errors between what was said and what was heard
    fetch        `garden models fetch vosk`

Voice glue that needs other layers too lives next to the CLI: garden.voice_game (the window's
push-to-talk), garden.say (`garden say FILE.wav`) and garden.voice_bench (`garden bench voice`).
"""
