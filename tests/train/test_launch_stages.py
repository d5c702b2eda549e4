"""One job per stage: CPT on its multi-node config, SFT on one GPU after it (afterok)."""

from __future__ import annotations

import stat

import pytest

from medfr_eval.cli import train_main
from medfr_eval.core.errors import LaunchError
from medfr_eval.core.resources import recipes_dir
from medfr_train.launch import SlurmOptions
from medfr_train.launch_stages import plan_jobs, slurm_texts

CHAINED = recipes_dir() / "cpt_sft.yaml"
B = recipes_dir() / "medmistral-cpt-sft-7b" / "cpt_sft" / "config_from_mistral.yaml"


def test_chained_recipe_is_32_plus_1():
    jobs = plan_jobs(CHAINED, "fsdp", nodes=4, gpus_per_node=8)
    cpt, sft = jobs.jobs
    assert (cpt.stage, cpt.plan.num_processes, cpt.plan.distributed_type) == ("cpt", 32, "FSDP")
    assert (sft.stage, sft.plan.num_processes, sft.plan.distributed_type) == ("sft", 1, "NO")
    assert cpt.plan.recipe_args[:2] == ["--only-stage", "cpt"]
    assert sft.plan.recipe_args[:2] == ["--only-stage", "sft"]
    assert not cpt.warning and not sft.warning
    assert any("= 1,024 sequences" in n for n in cpt.plan.notes)
    assert any("= 8 sequences" in n for n in sft.plan.notes)
    many = plan_jobs(CHAINED, "fsdp", nodes=4, gpus_per_node=8, sft_config="ddp", sft_gpus=2)
    assert many.jobs[1].warning  # 4 x 2 x 2 = 16, not the study's 8


def test_slurm_chains_the_jobs_afterok(tmp_path):
    jobs = plan_jobs(CHAINED, "fsdp", nodes=4, gpus_per_node=8, after="777")
    files = dict(slurm_texts(jobs, SlurmOptions(), tmp_path / "job.sbatch"))
    cpt, sft = tmp_path / "job.cpt.sbatch", tmp_path / "job.sft.sbatch"
    assert set(files) == {cpt, sft, tmp_path / "job.sbatch"}
    assert "#SBATCH --nodes=4" in files[cpt] and "#SBATCH --gpus-per-node=8" in files[cpt]
    assert "#SBATCH --nodes=1" in files[sft] and "#SBATCH --gpus-per-node=1" in files[sft]
    assert "--only-stage sft" in files[sft]
    submit = files[tmp_path / "job.sbatch"].splitlines()
    assert f"JOB_CPT=$(sbatch --parsable --dependency=afterok:777 {cpt})" in submit
    # the job id is quoted where the shell expands it
    assert f'JOB_SFT=$(sbatch --parsable --dependency=afterok:"${{JOB_CPT}}" {sft})' in submit


def test_reused_cpt_gets_no_job():
    jobs = plan_jobs(B, "fsdp", after="4242")
    (sft,) = jobs.jobs
    assert sft.stage == "sft" and sft.plan.num_processes == 1
    assert "reused from" in jobs.notes[0] and "medmistral-cpt-7b" in jobs.notes[0]


def test_one_stage_recipe_keeps_one_job_and_after(tmp_path):
    a = recipes_dir() / "medmistral-cpt-7b" / "cpt" / "config_full.yaml"
    jobs = plan_jobs(a, "fsdp", nodes=4, gpus_per_node=8, after="12")
    (job,) = jobs.jobs
    assert job.stage is None and job.plan.recipe_args == []
    ((path, text),) = slurm_texts(jobs, SlurmOptions(), tmp_path / "a.sbatch")
    assert "#SBATCH --dependency=afterok:12" in text
    one = plan_jobs(a, "fsdp", nodes=1, gpus_per_node=8)
    assert one.jobs[0].warning  # 16 x 2 x 8 = 256


def test_cli_writes_every_script(tmp_path, capsys):
    job = tmp_path / "job.sbatch"
    args = ["launch", str(CHAINED), "-c", "fsdp", "--nodes", "4", "--slurm", str(job)]
    assert train_main([*args, "--gpus-per-node", "8"]) == 0
    for p in (job, tmp_path / "job.cpt.sbatch", tmp_path / "job.sft.sbatch"):
        assert p.is_file() and p.stat().st_mode & stat.S_IXUSR
    assert "submit with: bash" in capsys.readouterr().err
    assert train_main(["launch", str(B), "-c", "fsdp", "--after", "x; rm"]) == 2
    assert "--after: expected a SLURM job id" in capsys.readouterr().err


def test_bad_job_id():
    with pytest.raises(LaunchError, match="--after"):
        plan_jobs(CHAINED, "fsdp", after="abc")
