"""Launch files and INI configs as value sources (peatmoss.usage.launch)."""

from __future__ import annotations

from peatmoss.usage.launch import ini_values, launch_values, script_options
from peatmoss.usage.repo import is_config, load_config


def test_shell_options_and_variables():
    text = ('MODEL=meta-llama/Llama-2-7b-hf\nexport TOK="gpt2"\n'
            'python train.py --model_name_or_path $MODEL --tokenizer_name=${TOK} --lr 1e-5 \\\n'
            '  --output_dir "$OUT" --model_name_or_path org/other\n')
    values = launch_values(text)
    assert values["model_name_or_path"] == ["meta-llama/Llama-2-7b-hf", "org/other"]
    assert values["tokenizer_name"] == "gpt2"
    assert values["lr"] == "1e-5"
    assert "output_dir" not in values  # $OUT is not assigned in the file: never guessed


def test_script_options_only_from_commands_running_that_script():
    text = ("BASE=weights/base-7b\n"
            "docker run --rm image \\\n  python3 infer.py \\\n  --base_model \"$BASE\" \\\n  --out o.jsonl\n"
            "python other.py --base_model org/other\n"
            "python infer_v2.py --base_model org/v2 --adapter $UNSET\n"
            "python infer.py --base_model org/second\n")
    options = script_options(text, "infer.py")
    assert options["base_model"] == ["weights/base-7b", "org/second"]
    assert options["out"] == ["o.jsonl"]
    assert script_options(text, "infer_v2.py") == {"base_model": ["org/v2"]}  # $UNSET is never guessed
    assert script_options(text, "missing.py") == {}
    assert script_options("python app.py -m org/short --port=8000\n", "app.py") == {"-m": ["org/short"],
                                                                                  "port": ["8000"]}


def test_dockerfile_env_and_arg_forms():
    values = launch_values("FROM python:3.11\nENV EMBED_MODEL BAAI/bge-small-en\nARG BASE=org/base\nRUN pip install x\n")
    assert values["EMBED_MODEL"] == "BAAI/bge-small-en" and values["BASE"] == "org/base"
    assert "RUN" not in values and "FROM" not in values


def test_ini_sections_and_bad_ini():
    assert ini_values("[model]\ncheckpoint = google/mt5-small\n") == {"model": {"checkpoint": "google/mt5-small"}}
    assert ini_values("no section header\n") is None
    assert load_config("config.ini", b"[m]\nname = x/y\n") == {"m": {"name": "x/y"}}


def test_launch_files_are_configs():
    for path in ("run.sh", "docker/Dockerfile", "Makefile", "README.md", ".env", "setup.cfg", "config.ini"):
        assert is_config(path), path
    assert not is_config("notes.txt")


def test_template_values_are_not_model_ids():
    from peatmoss.usage.repo import Repo

    text = (b"jobs:\n  run:\n    with:\n      model_name: ${{ inputs.model }}\n"
            b"model:\n  model_name_or_path: '{{ cookiecutter.model }}'\n  pretrained_model_name: ${base.name}\n"
            b"base:\n  model_name: org/real-model\n")
    repo = Repo({}, {".github/workflows/eval.yml": lambda: text})
    values = [v for key in ("model_name", "model_name_or_path", "pretrained_model_name")
              for v in repo.config_values(key)]
    assert values == ["org/real-model"]
