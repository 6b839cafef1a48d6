"""What the benchmarks share: moto's request recorder around a step (its wall time and
the AWS calls it made), running s3dest, and the median of a few runs."""
import os, statistics, subprocess, sys, time, urllib.request


def moto(path, method="POST"):
    endpoint = os.environ["AWS_ENDPOINT_URL"]
    req = urllib.request.Request(endpoint + path, method=method, data=b"" if method == "POST" else None)
    return urllib.request.urlopen(req).read()


def recorded(fn):
    """Runs `fn` with moto's recorder on: (seconds, AWS calls)."""
    moto("/moto-api/recorder/reset-recording")
    moto("/moto-api/recorder/start-recording")
    start = time.perf_counter()
    fn()
    elapsed = time.perf_counter() - start
    moto("/moto-api/recorder/stop-recording")
    calls = [l for l in moto("/moto-api/recorder/download-recording", "GET").decode().splitlines() if l.strip()]
    return elapsed, len(calls)


def run(s3dest, *args, expect=0):
    p = subprocess.run([s3dest, *args], capture_output=True, text=True)
    if p.returncode != expect:
        sys.exit(f"s3dest {' '.join(args)} exited {p.returncode}:\n{p.stdout[-4000:]}\n{p.stderr[-4000:]}")


def median_of(fn, times=3):
    """The median time of `times` recorded runs, and the calls of the first."""
    runs = [recorded(fn) for _ in range(times)]
    return statistics.median(r[0] for r in runs), runs[0][1]
