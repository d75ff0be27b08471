#!/usr/bin/python3
"""bench/runs at a tiny size against the real services: runs_bench drives 4
concurrent runs (rate) and holds 4 streams open in its remote tool (hold)
through the suite's secured run-executor, and through the benchmark builds
of the run-executor and data with --security=off, where the runs are still
stored in data as their owners. The benchmark itself (200 streams, rounds)
is bench/runs/run_runs_bench.sh, not a test.
"""

import json
import os
import pathlib
import re
import signal
import subprocess
import sys
import unittest

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
import bastion_suite  # noqa: E402
from bastion_suite import RUNFILES, Suite, free_port  # noqa: E402

SUITE = None
BENCH = str(RUNFILES / "bench/runs/runs_bench")
STREAMS = "4"


def setUpModule() -> None:
    global SUITE
    SUITE = Suite.started()


def tearDownModule() -> None:
    SUITE.stop()


def fields(line: str) -> dict:
    return dict(re.findall(r"(\w+)=([-0-9.]+)", line))


class RunsBenchSmokeTest(unittest.TestCase):

    @classmethod
    def setUpClass(cls):
        cls.tool_port = free_port()
        cls.registry = SUITE.dir / "bench_registry.json"
        cls.registry.write_text(json.dumps({
            "agents": [
                {"agentId": "bench-echo", "name": "Bench echo", "model": "scripted:echo"},
                {"agentId": "bench-hold", "name": "Bench hold",
                 "model": "scripted:bench-hold",
                 "tools": [{"name": "hold", "description": "Waits.",
                            "parametersJsonSchema": '{"type":"object"}',
                            "endpoint": f"127.0.0.1:{cls.tool_port}"}]}],
            "models": [{"name": "scripted:bench-hold", "scripted": {"rules": [
                {"reply": "holding",
                 "toolCalls": [{"toolName": "hold", "argumentsJson": "{}"}]},
                {"afterTool": "hold", "reply": "{tool_result}"}]}}]}))
        cls.tokens = SUITE.dir / "bench_tokens"
        cls.tokens.write_text("".join(
            SUITE.token(f"bench-u{n}", tenant=f"bt{n % 2}", roles="member",
                            scopes="tools:hold:run") + "\n"
            for n in range(2)))
        cls.extra = []

    @classmethod
    def tearDownClass(cls):
        for process in cls.extra:
            process.send_signal(signal.SIGTERM)
            process.wait(timeout=20)

    def start(self, name: str, binary: str, env: dict, *args: str) -> tuple:
        """Starts `binary` with `args` after an empty config path; returns
        (process, address)."""
        port_file = SUITE.dir / f"{name}.port"
        log = open(SUITE.dir / f"{name}.log", "ab")
        environment = dict(os.environ, BASTION_PORT_FILE=str(port_file), **env)
        environment.setdefault("BASTION_LISTEN_ADDRESS", "127.0.0.1:0")
        process = subprocess.Popen([str(RUNFILES / binary), "", *args],
                                   env=environment, stdout=log, stderr=log)
        self.extra.append(process)
        for _ in range(300):
            if port_file.exists() and port_file.read_text().strip():
                return process, "127.0.0.1:" + port_file.read_text().strip()
            self.assertIsNone(process.poll(), SUITE.log(name))
            subprocess.run(["sleep", "0.1"])
        self.fail(f"{name} did not start:\n" + SUITE.log(name))

    def bench(self, target: str, pid: int) -> tuple:
        common = [BENCH, f"--target={target}", f"--tokens_file={self.tokens}",
                  f"--streams={STREAMS}"]
        rate = subprocess.run(common + ["--mode=rate", "--seconds=1",
                                        "--warmup_seconds=0.2"],
                              capture_output=True, text=True, timeout=60)
        self.assertEqual(rate.returncode, 0, rate.stdout + rate.stderr)
        hold = subprocess.run(common + ["--mode=hold", f"--tool_port={self.tool_port}",
                                        f"--pid={pid}"],
                              capture_output=True, text=True, timeout=60)
        self.assertEqual(hold.returncode, 0, hold.stdout + hold.stderr)
        return fields(rate.stdout), fields(hold.stdout)

    def check(self, rate: dict, hold: dict) -> None:
        self.assertEqual(rate["errors"], "0")
        self.assertGreater(int(rate["runs"]), 0)
        self.assertGreater(float(rate["completion_p50_ms"]), 0)
        self.assertGreaterEqual(float(rate["completion_p50_ms"]),
                                float(rate["first_event_p50_ms"]))
        self.assertEqual(hold["errors"], "0")
        self.assertEqual(hold["streams"], STREAMS)
        self.assertGreater(int(hold["rss_idle_kib"]), 0)
        self.assertGreater(int(hold["rss_open_kib"]), 0)

    def stored_runs(self, tenant: str, user: str) -> int:
        return SUITE.query("SELECT count(*) FROM bastion_data.runs "
                           "WHERE tenant_id = %s AND user_id = %s", (tenant, user))[0][0]

    def test_secured(self):
        env = dict(SUITE.launch_env["run_executor"],
                   BASTION_REGISTRY_FILE=str(self.registry))
        process, address = self.start("run_executor_bench_secured",
                                      bastion_suite.BINARIES["run_executor"], env)
        before = self.stored_runs("bt0", "bench-u0")
        rate, hold = self.bench(address, process.pid)
        self.check(rate, hold)
        self.assertGreater(self.stored_runs("bt0", "bench-u0"), before)

    def test_unsecured_benchmark_builds(self):
        data_env = dict(SUITE.launch_env["data"],
                        BASTION_DATABASE_URL=f"{SUITE.pg} dbname={SUITE.database} user=postgres")
        _, data = self.start("data_bench", "bench/runs/data_bench", data_env,
                             "--security=off")
        env = dict(SUITE.launch_env["run_executor"], BASTION_DATA_ADDRESS=data,
                   BASTION_REGISTRY_FILE=str(self.registry))
        process, address = self.start("run_executor_bench", "bench/runs/run_executor_bench",
                                      env, "--security=off")
        before = self.stored_runs("bt1", "bench-u1")
        rate, hold = self.bench(address, process.pid)
        self.check(rate, hold)
        # Still written as the run's owner, from the unverified token.
        self.assertGreater(self.stored_runs("bt1", "bench-u1"), before)

    def test_benchmark_build_refuses_an_unknown_argument(self):
        done = subprocess.run([str(RUNFILES / "bench/runs/run_executor_bench"), "",
                               "--security=of"], capture_output=True, text=True,
                              timeout=30)
        self.assertEqual(done.returncode, 2, done.stdout + done.stderr)


if __name__ == "__main__":
    bastion_suite.main()
