"""Speed of the LLM judge: medfr's own cost per item, and the in-process judge against bare transformers.

1. Endpoint path. (a) medfr's own work per item, measured with a backend that
   answers instantly in-process: template render, cache key, sqlite lookup and
   write, verdict parsing. Goal < 2 ms per item. (b) The same N items through a
   real loopback OpenAI-compatible server that answers instantly, run in a
   separate process so it does not share our GIL, beside a bare sequential
   ``http.client`` loop posting the same pre-rendered requests; and a cached
   rerun (no request at all).
2. In-process judge (tiny random model built on the fly, or ``--hidden-size``
   for a wider one): ``Judge.judge`` with the local backend against a bare
   transformers loop doing the same work by hand (same batches, left padding,
   ``generate(do_sample=False, max_new_tokens=1)``). Goal ratio <= 1.2x.

    python benchmarks/judge.py                       # N = 400 endpoint items, 64 local items
    python benchmarks/judge.py --n 1000 --hidden-size 256 --layers 4
    python benchmarks/judge.py --openai --skip-local  # medfr's client beside openai's
"""

from __future__ import annotations

import argparse
import http.client
import json
import multiprocessing
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests" / "eval" / "judge"))  # the loopback test server

from medfr_eval.judge.client import EndpointJudge  # noqa: E402
from medfr_eval.judge.config import JudgeConfig  # noqa: E402
from medfr_eval.judge.engine import Judge, JudgeItem  # noqa: E402


def items(n: int, tag: str = "") -> list[JudgeItem]:
    return [
        JudgeItem(
            question=f"Question {tag}{i} : quel traitement de première intention ?",
            answer=f"Réponse {i} : un traitement symptomatique et une surveillance clinique. " * 3,
            reference="Un traitement symptomatique, une réévaluation à 48 heures.",
        )
        for i in range(n)
    ]


class InstantBackend:
    def ask_many(self, prompts):
        for i, _ in enumerate(prompts):
            yield i, "1"


def median_time(fn, repeats: int, clock=time.perf_counter) -> float:
    """Median over ``repeats`` calls; ``clock=time.process_time`` gives this process's CPU time,
    which load from other processes on a shared machine disturbs less than the wall clock."""
    times = []
    for _ in range(repeats):
        start = clock()
        fn()
        times.append(clock() - start)
    return statistics.median(times)


def _serve(queue) -> None:
    from fake_server import FakeJudgeServer

    with FakeJudgeServer(lambda p: "1") as server:
        queue.put(server.url)
        server.thread.join()


def endpoint_bench(
    n: int, concurrency: int, repeats: int, with_openai: bool = False
) -> dict[str, float]:
    tmp = Path(tempfile.mkdtemp(prefix="medfr-judge-bench-"))
    # (a) medfr's own work, instant in-process backend, fresh cache each time
    counter = iter(range(10**6))

    def own():
        cfg = JudgeConfig(
            model="bench", url="http://x/v1", cache_path=str(tmp / f"{next(counter)}.db")
        )
        Judge(cfg, backend=InstantBackend()).judge(items(n))

    own_s = median_time(own, repeats)

    # (b) a loopback server in another process
    queue = multiprocessing.Queue()
    proc = multiprocessing.Process(target=_serve, args=(queue,), daemon=True)
    proc.start()
    url = queue.get(timeout=30)
    try:
        runs = iter(range(10**6))

        def through_server():
            cfg = JudgeConfig(
                model="bench",
                url=url,
                concurrency=concurrency,
                cache_path=str(tmp / f"s{next(runs)}.db"),
            )
            Judge(cfg).judge(items(n))

        server_s = median_time(through_server, repeats)
        cached_cfg = JudgeConfig(model="bench", url=url, cache_path=str(tmp / "cached.db"))
        Judge(cached_cfg).judge(items(n))
        cached_s = median_time(lambda: Judge(cached_cfg).judge(items(n)), repeats)

        judge = Judge(cached_cfg)
        bodies = [
            json.dumps(
                {
                    "model": "bench",
                    "messages": [
                        {
                            "role": "user",
                            "content": judge.template.render(it.question, it.answer, it.reference),
                        }
                    ],
                    "temperature": 0,
                    "max_tokens": 1,
                }
            ).encode()
            for it in items(n)
        ]
        host, port = url.split("//")[1].split("/")[0].split(":")

        def bare():
            conn = http.client.HTTPConnection(host, int(port), timeout=30)
            for body in bodies:
                conn.request(
                    "POST",
                    "/v1/chat/completions",
                    body=body,
                    headers={"Content-Type": "application/json"},
                )
                json.loads(conn.getresponse().read())["choices"][0]["message"]["content"]
            conn.close()

        bare_s = median_time(bare, repeats)
        client = EndpointJudge(JudgeConfig(model="bench", url=url, cache_path=None))
        prompts = [json.loads(b)["messages"][0]["content"] for b in bodies]
        loops = {"bare": bare, "client": lambda: [client.ask(p) for p in prompts]}
        if with_openai:
            loops["openai"] = openai_loop(url, prompts)
        # CPU time of this process: the client's own cost, the server's excluded
        cpu = {k: median_time(fn, repeats, time.process_time) / n for k, fn in loops.items()}
        client_s = median_time(loops["client"], repeats)
        openai_s = median_time(loops["openai"], repeats) if with_openai else None
    finally:
        proc.terminate()
        proc.join(5)
    out = {"own": own_s / n, "server": server_s / n, "cached": cached_s / n, "bare": bare_s / n}
    out["client"] = client_s / n
    if openai_s is not None:
        out["openai"] = openai_s / n
    out |= {f"{k}_cpu": v for k, v in cpu.items()}
    return out


def openai_loop(url: str, prompts: list[str]):
    """The ``openai`` package's client posting the same prompts one after the other (if installed)."""
    import openai

    client = openai.OpenAI(base_url=url, api_key="bench", max_retries=0, timeout=30)

    def run():
        return [
            client.chat.completions.create(
                model="bench",
                messages=[{"role": "user", "content": p}],
                temperature=0,
                max_tokens=1,
            )
            .choices[0]
            .message.content
            for p in prompts
        ]

    return run


def local_bench(n: int, batch: int, hidden: int, layers: int, repeats: int) -> dict[str, float]:
    import torch

    from medfr_eval.demo.tiny import build_tiny_model
    from medfr_eval.judge import local

    torch.set_num_threads(1)
    model_dir = build_tiny_model(
        Path(tempfile.mkdtemp(prefix="medfr-judge-tiny-")),
        hidden_size=hidden,
        intermediate_size=hidden * 2,
        num_hidden_layers=layers,
    )
    cfg = JudgeConfig(model=str(model_dir), batch_size=batch, device="cpu", cache_path=None)
    judge = Judge(cfg)
    work = items(n)
    judge.judge(work[:batch])  # load + warm up
    ours = median_time(lambda: judge.judge(work), repeats)

    lm, tok = local.load_judge_model(str(model_dir), "cpu")
    prompts = [judge.template.render(it.question, it.answer, it.reference) for it in work]
    order = sorted(range(n), key=lambda i: -len(prompts[i]))

    def bare():
        out = {}
        for start in range(0, n, batch):
            idx = order[start : start + batch]
            enc = tok([prompts[i] for i in idx], return_tensors="pt", padding=True)
            with torch.inference_mode():
                gen = lm.generate(
                    **enc, do_sample=False, max_new_tokens=1, pad_token_id=tok.pad_token_id
                )
            for i, row in zip(idx, gen[:, enc["input_ids"].shape[1] :].tolist(), strict=True):
                out[i] = tok.decode(row, skip_special_tokens=True)
        return out

    bare_s = median_time(bare, repeats)
    ours_cpu = median_time(lambda: judge.judge(work), repeats, time.process_time)
    bare_cpu = median_time(bare, repeats, time.process_time)
    return {"ours": ours, "bare": bare_s, "ratio": ours / bare_s, "cpu_ratio": ours_cpu / bare_cpu}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=400, help="items through the endpoint path")
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--local-n", type=int, default=64, help="items through the local judge")
    parser.add_argument("--batch-size", type=int, default=8)
    parser.add_argument("--hidden-size", type=int, default=64)
    parser.add_argument("--layers", type=int, default=2)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument(
        "--openai", action="store_true", help="also time the openai package's client (installed)"
    )
    parser.add_argument("--skip-local", action="store_true", help="endpoint path only")
    args = parser.parse_args(argv)

    ep = endpoint_bench(args.n, args.concurrency, args.repeats, args.openai)
    print(f"endpoint path, N = {args.n} items (ms per item, median of {args.repeats})")
    print(f"  medfr's own work (instant in-process backend)      {ep['own'] * 1e3:7.3f}   goal < 2")
    print(
        f"  medfr via loopback server, concurrency {args.concurrency:<3}       {ep['server'] * 1e3:7.3f}"
    )
    print(f"  bare http.client loop, same requests, sequential   {ep['bare'] * 1e3:7.3f}")
    print(f"  medfr's client alone, same requests, sequential    {ep['client'] * 1e3:7.3f}")
    if "openai" in ep:
        print(f"  openai package's client, same requests, sequential {ep['openai'] * 1e3:7.3f}")
    cpu = "   ".join(f"{k[:-4]} {v * 1e3:.3f}" for k, v in ep.items() if k.endswith("_cpu"))
    print(f"  client CPU per item (this process): {cpu}")
    print(f"  medfr rerun, every verdict from the cache          {ep['cached'] * 1e3:7.3f}")
    if args.skip_local:
        return 0 if ep["own"] < 2e-3 else 1
    lo = local_bench(args.local_n, args.batch_size, args.hidden_size, args.layers, args.repeats)
    print(
        f"in-process judge, {args.local_n} items, batch {args.batch_size}, hidden {args.hidden_size} x {args.layers} layers"
    )
    print(
        f"  medfr Judge (local)  {lo['ours']:.3f} s   bare transformers loop  {lo['bare']:.3f} s   ratio {lo['ratio']:.2f}x (goal <= 1.2)"
    )
    print(f"  CPU-time ratio (this process)  {lo['cpu_ratio']:.2f}x")
    ok = ep["own"] < 2e-3 and lo["ratio"] <= 1.2
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
