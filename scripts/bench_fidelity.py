"""s3dest's reading cost as real AWS would make it: through the fidelity proxy with IAM
pagination at AWS's default page of 100, in an account that holds many roles and users
s3dest has nothing to do with.

Prints, per case, the AWS calls of a no-op plan, the bytes received and the wall time,
per destination. Targets (issue 8):
- N=10 over 2 buckets: at most 60 calls in all, and the same (within 2 calls) whether
  the account holds 0 or 5,000 unrelated roles (and 500 unrelated users);
- N=200 over 20 buckets: at most 1.5 calls per destination with the 5,000 unrelated
  roles present.
Calls are counted by the proxy (what s3dest sent), not by the clock: they do not depend
on the machine. Wall times are shown for context only.
"""
import json, os, subprocess, sys, tempfile, time, urllib.request

import boto3

s3dest, proxy_bin, moto_endpoint = sys.argv[1], sys.argv[2], os.environ["AWS_ENDPOINT_URL"]
unrelated_roles, unrelated_users = 5000, 500
vendors = ["braze-currents", "braze-data-export", "walkme", "custom", "braze-security-events"]

proxy = subprocess.Popen(
    [proxy_bin, "--upstream", moto_endpoint, "--config", json.dumps({"iam_page_size": 100})],
    stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
endpoint = proxy.stdout.readline().strip()


def control(path, body=None):
    method = "GET" if body is None else "POST"
    data = None if body is None else json.dumps(body).encode()
    req = urllib.request.Request(endpoint + path, method=method, data=data)
    return json.loads(urllib.request.urlopen(req).read() or b"null")


def moto(path):
    urllib.request.urlopen(urllib.request.Request(moto_endpoint + path, method="POST", data=b""))


def spec_text(name, n, b):
    # Destination names unique per spec: roles are named after them, per account.
    prefix = name[0] + name.split("-")[1][0]
    lines = ["version: 1", f"name: {name}", "buckets:"]
    lines += [f"  {name}-bucket-{i:02d}: {{create: true}}" for i in range(b)]
    lines.append("destinations:")
    for d in range(n):
        vendor = vendors[d % len(vendors)]
        lines += [f"  {prefix}{d:03d}:", f"    vendor: {vendor}", f"    bucket: {name}-bucket-{d % b:02d}",
                  f"    folder: exports/{prefix}{d:03d}"]
        if vendor.startswith("braze"):
            lines += ['    principal: "987654321098"', f"    external_id: ext-{d}"]
        if vendor == "custom":
            lines += ['    principal: "111122223333"', f"    external_id: ext-{d}", "    actions: [s3:PutObject]"]
    return "\n".join(lines) + "\n"


def run(spec, *args, expect=0):
    env = dict(os.environ, AWS_ENDPOINT_URL=endpoint)
    p = subprocess.run([s3dest, *args, spec], capture_output=True, text=True, env=env)
    if p.returncode != expect:
        sys.exit(f"s3dest {' '.join(args)} exited {p.returncode}:\n{p.stdout}\n{p.stderr}")


def measured(spec):
    before = control("/_fidelity/stats")
    start = time.perf_counter()
    run(spec, "plan", "--detailed-exitcode")
    elapsed = time.perf_counter() - start
    after = control("/_fidelity/stats")
    return after["requests"] - before["requests"], after["bytes_sent"] - before["bytes_sent"], elapsed


def add_unrelated():
    iam = boto3.client("iam", endpoint_url=moto_endpoint, region_name="us-east-1")
    trust = json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Allow",
            "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"}]})
    for i in range(unrelated_roles):
        iam.create_role(RoleName=f"unrelated-{i:05d}", AssumeRolePolicyDocument=trust,
                        Tags=[{"Key": "team", "Value": "other"}])
    for i in range(unrelated_users):
        iam.create_user(UserName=f"unrelated-user-{i:04d}")


results = {}
with tempfile.TemporaryDirectory() as tmp:
    def case(label, n, b):
        spec = os.path.join(tmp, f"{label}.yaml")
        with open(spec, "w") as f:
            f.write(spec_text(label, n, b))
        run(spec, "apply", "--auto-approve")
        calls, received, elapsed = measured(spec)
        results[label] = (n, calls, received, elapsed)

    moto("/moto-api/reset")
    case("small-empty", 10, 2)
    moto("/moto-api/reset")
    print(f"adding {unrelated_roles} unrelated roles and {unrelated_users} users...", file=sys.stderr)
    add_unrelated()
    case("small-crowded", 10, 2)
    case("large-crowded", 200, 20)
proxy.terminate()

print(f"no-op plans through the fidelity proxy (IAM pages of 100), moto at {moto_endpoint}")
print(f"{'case':<34}{'calls':>7}{'calls/dest':>12}{'KiB recv':>10}{'KiB/dest':>10}{'s':>7}{'s/dest':>8}")
names = {"small-empty": "N=10, 2 buckets, empty account",
         "small-crowded": f"N=10, 2 buckets, +{unrelated_roles} roles",
         "large-crowded": f"N=200, 20 buckets, +{unrelated_roles} roles"}
for label, (n, calls, received, elapsed) in results.items():
    print(f"{names[label]:<34}{calls:>7}{calls / n:>12.2f}{received / 1024:>10.1f}{received / 1024 / n:>10.2f}"
          f"{elapsed:>7.2f}{elapsed / n:>8.3f}")
small_empty, small_crowded, large = (results[k][1] for k in ("small-empty", "small-crowded", "large-crowded"))
checks = [
    (f"N=10: at most 60 calls (empty: {small_empty}, crowded: {small_crowded})", max(small_empty, small_crowded) <= 60),
    (f"N=10: unrelated roles add at most 2 calls (added {small_crowded - small_empty})", abs(small_crowded - small_empty) <= 2),
    (f"N=200 with {unrelated_roles} unrelated roles: at most 1.5 calls/destination ({large / 200:.2f})", large / 200 <= 1.5),
]
for text, ok in checks:
    print(("met:    " if ok else "MISSED: ") + text)
sys.exit(0 if all(ok for _, ok in checks) else 1)
