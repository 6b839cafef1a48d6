"""s3dest over many accounts, against moto server: one run over 20 specs (each in its own
account, reached with `assume_role:`, with 50 destinations) next to 20 separate
invocations, one per spec. Prints wall time and AWS calls per destination of each.

moto keeps accounts apart by the account of assumed-role credentials, so each spec's
role, bucket and destinations live in an account of their own. The calls are counted by
moto's recorder (every request, AssumeRole and GetCallerIdentity included); they do not
depend on the machine. Times are medians of 3 and compared as a ratio measured in the
same invocation: machines are noisy.

Target (issue 12): one run makes no more calls per destination than separate
invocations do (each spec is read the same way), and takes less wall time than them
(specs are read `--jobs` at a time in one process instead of one after the other).
"""
import os, sys, tempfile

from bench_common import median_of, recorded, run as run_s3dest

s3dest = sys.argv[1]
accounts = int(sys.argv[2]) if len(sys.argv) > 2 else 20
per_account = int(sys.argv[3]) if len(sys.argv) > 3 else 50
endpoint = os.environ["AWS_ENDPOINT_URL"]


def account(i):
    return f"{200000000000 + i:012d}"


def spec_text(i):
    acct = account(i)
    bucket = f"bench-accounts-{i:02d}"
    lines = [
        "version: 1",
        f"name: bench-{i:02d}",
        f'account: "{acct}"',
        f"assume_role: arn:aws:iam::{acct}:role/s3dest-bench",
        "buckets:",
        f"  {bucket}: {{create: true}}",
        "destinations:",
    ]
    for d in range(per_account):
        lines += [
            f"  d{d:03d}:",
            "    vendor: custom",
            f"    bucket: {bucket}",
            f"    folder: exports/d{d:03d}",
            '    principal: "111122223333"',
            f"    external_id: ext-{i}-{d}",
            "    actions: [s3:PutObject]",
        ]
    return "\n".join(lines) + "\n"






def run(*args, expect=0):
    run_s3dest(s3dest, *args, expect=expect)


with tempfile.TemporaryDirectory() as tmp:
    specs = os.path.join(tmp, "accounts")
    os.makedirs(specs)
    paths = []
    for i in range(accounts):
        path = os.path.join(specs, f"bench-{i:02d}.yaml")
        with open(path, "w") as f:
            f.write(spec_text(i))
        paths.append(path)
    apply_time, apply_calls = recorded(lambda: run("apply", specs, "--auto-approve"))
    one_time, one_calls = median_of(lambda: run("plan", specs, "--detailed-exitcode"))

    def separately():
        for path in paths:
            run("plan", path, "--detailed-exitcode")

    sep_time, sep_calls = median_of(separately)

n = accounts * per_account
print(f"{accounts} accounts x {per_account} destinations = {n} destinations (moto server, {endpoint})")
print(f"apply of all, one run:        {apply_time:7.2f} s  {apply_calls:6d} AWS calls")
print(f"no-op plan, one run:          {one_time:7.2f} s  {one_calls:6d} AWS calls  {one_calls / n:.2f} calls/destination")
print(f"no-op plan, {accounts} invocations:   {sep_time:7.2f} s  {sep_calls:6d} AWS calls  {sep_calls / n:.2f} calls/destination")
print(f"one run vs separate:          {sep_time / one_time:7.2f} x faster, {one_calls / sep_calls:.2f} x the calls")
ok = one_calls <= sep_calls and one_time < sep_time
print("targets met" if ok else "TARGETS MISSED")
sys.exit(0 if ok else 1)
