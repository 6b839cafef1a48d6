"""s3dest benchmark against moto server: prints wall times and AWS calls per destination.

The naive baseline reads the same facts as a plan (bucket region, policy and public-access
block; each role, its inline and attached policies, and its folder marker) one call at a time.

Targets (issue 3): a no-op plan makes at most 1.5 AWS calls per destination, is at least
3x faster than a naive script reading each role, its policies and its folder one call at a
time, and its number of calls does not grow as buckets fill with data objects.
Ratios are measured against a baseline run in the same invocation: machines are noisy.
"""
import os, sys, tempfile

from bench_common import median_of, recorded, run as run_s3dest

import boto3

s3dest, n, b = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
endpoint = os.environ["AWS_ENDPOINT_URL"]
vendors = ["braze-currents", "braze-data-export", "walkme", "custom", "braze-security-events"]


def spec_text():
    lines = ["version: 1", "name: bench", "buckets:"]
    lines += [f"  bench-bucket-{i:02d}: {{create: true}}" for i in range(b)]
    lines.append("destinations:")
    for d in range(n):
        vendor = vendors[d % len(vendors)]
        lines.append(f"  d{d:03d}:")
        lines.append(f"    vendor: {vendor}")
        lines.append(f"    bucket: bench-bucket-{d % b:02d}")
        lines.append(f"    folder: exports/d{d:03d}")
        if vendor in ("braze-currents", "braze-data-export", "braze-security-events"):
            lines += ['    principal: "987654321098"', f"    external_id: ext-{d}"]
        if vendor == "custom":
            lines += ['    principal: "111122223333"', f"    external_id: ext-{d}", "    actions: [s3:PutObject]"]
    return "\n".join(lines) + "\n"





def naive():
    """What a straightforward script reads to learn the same facts as a plan: per bucket its
    region, policy and public-access block; per destination its role, the role's inline and
    attached policies, and its folder marker; one call at a time."""
    iam = boto3.client("iam", endpoint_url=endpoint, region_name="us-east-1")
    s3 = boto3.client("s3", endpoint_url=endpoint, region_name="us-east-1")
    for i in range(b):
        bucket = f"bench-bucket-{i:02d}"
        s3.get_bucket_location(Bucket=bucket)
        try:
            s3.get_bucket_policy(Bucket=bucket)
        except s3.exceptions.ClientError:
            pass
        s3.get_public_access_block(Bucket=bucket)
    for d in range(n):
        role = f"s3dest-d{d:03d}"
        iam.get_role(RoleName=role)
        for name in iam.list_role_policies(RoleName=role)["PolicyNames"]:
            iam.get_role_policy(RoleName=role, PolicyName=name)
        iam.list_attached_role_policies(RoleName=role)
        s3.head_object(Bucket=f"bench-bucket-{d % b:02d}", Key=f"exports/d{d:03d}/")



def run(*args, expect=0):
    run_s3dest(s3dest, *args, expect=expect)


with tempfile.TemporaryDirectory() as tmp:
    spec = os.path.join(tmp, "bench.yaml")
    with open(spec, "w") as f:
        f.write(spec_text())
    apply_time, apply_calls = recorded(lambda: run("apply", spec, "--auto-approve"))
    plan_time, plan_calls = median_of(lambda: run("plan", spec, "--detailed-exitcode"))
    naive_time, naive_calls = median_of(naive)
    s3 = boto3.client("s3", endpoint_url=endpoint, region_name="us-east-1")
    per_bucket = 100
    for i in range(b):
        for k in range(per_bucket):
            s3.put_object(Bucket=f"bench-bucket-{i:02d}", Key=f"exports/d{(k * b + i) % n:03d}/data-{k}.csv", Body=b"x")
    full_time, full_calls = median_of(lambda: run("plan", spec, "--detailed-exitcode"))

print(f"destinations: {n} over {b} buckets (moto server, {endpoint})")
print(f"apply from empty:        {apply_time:7.2f} s  {apply_calls:5d} AWS calls")
print(f"no-op plan (median of 3):{plan_time:7.2f} s  {plan_calls:5d} AWS calls  {plan_calls / n:.2f} calls/destination (target <= 1.5)")
print(f"naive read (median of 3):{naive_time:7.2f} s  {naive_calls:5d} AWS calls  {naive_calls / n:.2f} calls/destination")
print(f"speed-up over naive:     {naive_time / plan_time:7.2f} x (target >= 3)")
print(f"no-op plan after {per_bucket * b} data objects: {full_time:.2f} s  {full_calls} AWS calls (was {plan_calls}: must not grow)")
ok = plan_calls / n <= 1.5 and naive_time / plan_time >= 3 and full_calls <= plan_calls
print("targets met" if ok else "TARGETS MISSED")
sys.exit(0 if ok else 1)
