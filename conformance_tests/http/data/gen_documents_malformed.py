# SPDX-License-Identifier: Apache-2.0
# Generates documents_malformed.json (beside this script): malformed document-resource
# requests, each with the exact status expected. Run once; the output is checked in.
import json, os
A = "http://example.com/corpus/act"
AG = {"objectType": "Agent", "mbox": "mailto:corpus@example.com"}
REG = "6f1f0b7a-3c1e-4a0e-9d3c-2f0a4b8c9d11"
ST = "/xapi/activities/state"; AP = "/xapi/activities/profile"; GP = "/xapi/agents/profile"
cases = []
def add(name, method, path, params, status, body=None, headers=None, ctype=None):
    c = {"name": name, "method": method, "path": path, "params": params, "status": status}
    if body is not None: c["body"] = body
    if ctype: c["contentType"] = ctype
    if headers: c["headers"] = headers
    cases.append(c)

state_full = {"activityId": A, "agent": AG, "stateId": "seed"}
ap_full = {"activityId": A, "profileId": "seed"}
gp_full = {"agent": AG, "profileId": "seed"}
W = {"If-Match": "*"}  # writes that would otherwise pass the concurrency rules

bad_agents = [
    ("not-json", "{mbox:"), ("json-array", [AG]), ("json-string", "\"mailto:x@example.com\""),
    ("no-ifi", {"name": "nobody"}), ("two-ifis", {"mbox": "mailto:a@example.com", "openid": "http://example.com/o"}),
    ("mbox-not-mailto", {"mbox": "a@example.com"}), ("group", {"objectType": "Group", "mbox": "mailto:g@example.com"}),
    ("bad-objecttype", {"objectType": "Person", "mbox": "mailto:a@example.com"}),
    ("account-no-homepage", {"account": {"name": "u"}}), ("account-no-name", {"account": {"homePage": "http://example.com"}}),
    ("sha1-not-hex", {"mbox_sha1sum": "zz"}), ("openid-not-iri", {"openid": "not an iri"}),
    ("duplicate-key", '{"mbox":"mailto:a@example.com","mbox":"mailto:b@example.com"}'),
    ("true", True), ("empty", ""),
]
bad_iris = [("no-scheme", "example.com/x"), ("space", "http://example.com/a b"), ("empty", ""), ("bare-word", "activity")]
bad_regs = [("short", "1234"), ("not-hex", "zzzzzzzz-zzzz-zzzz-zzzz-zzzzzzzzzzzz"), ("braces", "{" + REG + "}"), ("empty", "")]
bad_since = [("word", "yesterday"), ("date-only-garbage", "2020-13-45T00:00:00Z"), ("no-zone-garbage", "2020-01-01T25:00:00Z"), ("empty", "")]

for res, path, full, agent_key in [("state", ST, state_full, True), ("aprofile", AP, ap_full, False), ("gprofile", GP, gp_full, True)]:
    idk = "stateId" if res == "state" else "profileId"
    for m in ["GET", "PUT", "POST", "DELETE"]:
        body = {"changed": 1} if m in ("PUT", "POST") else None
        hdr = W if m in ("PUT", "POST", "DELETE") else None
        # missing required context parameters
        for k in [k for k in ("activityId", "agent") if k in full]:
            p = dict(full); del p[k]
            add(f"{res}-{m}-missing-{k}", m, path, p, 400, body, hdr)
        # unknown, mis-cased, duplicated
        add(f"{res}-{m}-unknown-param", m, path, {**full, "foo": "bar"}, 400, body, hdr)
        mis = idk[0].upper() + idk[1:]
        p = dict(full); p[mis] = p.pop(idk)
        add(f"{res}-{m}-miscased-{idk}", m, path, p, 400, body, hdr)
        add(f"{res}-{m}-duplicate-{idk}", m, path, {**full, "__dup__": idk}, 400, body, hdr)
        if m in ("PUT", "POST", "DELETE"):
            add(f"{res}-{m}-since-on-write", m, path, {**full, "since": "2020-01-01T00:00:00Z"}, 400, body, hdr)
        if m in ("PUT", "POST"):
            p = dict(full); del p[idk]
            add(f"{res}-{m}-missing-{idk}", m, path, p, 400, body, hdr)
        add(f"{res}-{m}-empty-{idk}", m, path, {**full, idk: ""}, 400, body, hdr)
    # agent / activity / registration / since values (PUT and GET)
    for m in ["PUT", "GET"]:
        body = {"changed": 1} if m == "PUT" else None
        hdr = W if m == "PUT" else None
        if agent_key:
            for n, v in bad_agents:
                add(f"{res}-{m}-agent-{n}", m, path, {**full, "agent": v}, 400, body, hdr)
        if "activityId" in full:
            for n, v in bad_iris:
                add(f"{res}-{m}-activityId-{n}", m, path, {**full, "activityId": v}, 400, body, hdr)
    for n, v in bad_since:
        p = dict(full); del p[idk]
        add(f"{res}-GET-since-{n}", "GET", path, {**p, "since": v}, 400)
    if res != "state":
        add(f"{res}-PUT-registration-not-allowed", "PUT", path, {**full, "registration": REG}, 400, {"x": 1}, W)
        p = dict(full); del p[idk]
        add(f"{res}-DELETE-without-{idk}", "DELETE", path, p, 400)
for n, v in bad_regs:
    for m in ["GET", "PUT", "POST", "DELETE"]:
        add(f"state-{m}-registration-{n}", m, ST, {**state_full, "registration": v}, 400,
            {"x": 1} if m in ("PUT", "POST") else None, W if m != "GET" else None)

# concurrency on the seeded documents (Comm 3.1)
for res, path, full in [("state", ST, state_full), ("aprofile", AP, ap_full), ("gprofile", GP, gp_full)]:
    for hn, hv in [("wrong", '"1111111111111111111111111111111111111111"'), ("weak", 'W/"SEED_ETAG"'),
                   ("unquoted-wrong", "1111111111111111111111111111111111111111"), ("list-wrong", '"a", "b"')]:
        for m in ["PUT", "POST", "DELETE"]:
            add(f"{res}-{m}-if-match-{hn}", m, path, full, 412, {"changed": 1} if m != "DELETE" else None, {"If-Match": hv})
    for m in ["PUT", "POST"]:
        add(f"{res}-{m}-if-none-match-star", m, path, full, 412, {"changed": 1}, {"If-None-Match": "*"})
        add(f"{res}-{m}-if-none-match-current", m, path, full, 412, {"changed": 1}, {"If-None-Match": '"SEED_ETAG"'})
    # absent documents: If-Match on an absent id
    p = dict(full); p["stateId" if res == "state" else "profileId"] = "absent"
    add(f"{res}-PUT-if-match-absent", "PUT", path, p, 412, {"x": 1}, {"If-Match": '"SEED_ETAG"'})
    add(f"{res}-DELETE-if-match-absent", "DELETE", path, p, 412, None, {"If-Match": "*"})
    add(f"{res}-GET-absent", "GET", path, p, 404)
    # POST merge refusals on the seeded JSON object
    for n, b, ct in [("array", "[1]", "application/json"), ("string", '"s"', "application/json"), ("number", "1", "application/json"),
                     ("null", "null", "application/json"), ("truncated", '{"a":', "application/json"), ("trailing", '{"a":1} x', "application/json"),
                     ("duplicate-key", '{"a":1,"a":2}', "application/json"), ("text-plain", '{"a":1}', "text/plain"),
                     ("no-type", '{"a":1}', "application/octet-stream"), ("nul-escape", '{"a":"\\u0000"}', "application/json")]:
        add(f"{res}-POST-merge-{n}", "POST", path, full, 400, b, {"If-Match": "*"} if res != "state" else None, ct)
# profile PUT without either header (Comm 3.1)
add("aprofile-PUT-no-header-existing", "PUT", AP, ap_full, 409, {"x": 1})
add("gprofile-PUT-no-header-existing", "PUT", GP, gp_full, 409, {"x": 1})
add("aprofile-PUT-no-header-absent", "PUT", AP, {**ap_full, "profileId": "absent"}, 400, {"x": 1})
add("gprofile-PUT-no-header-absent", "PUT", GP, {**gp_full, "profileId": "absent"}, 400, {"x": 1})
# stored non-JSON document cannot be merged
add("state-POST-merge-into-binary", "POST", ST, {**state_full, "stateId": "seedbin"}, 400, {"a": 1})
# size cap (the test server runs with SCOLAR_MAX_DOCUMENT=4096)
add("state-PUT-over-cap", "PUT", ST, {**state_full, "stateId": "big"}, 413, "x" * 4097, None, "text/plain")
add("aprofile-POST-over-cap", "POST", AP, {**ap_full, "profileId": "big"}, 413, "x" * 4097, None, "text/plain")
# other methods
for path, full in [(ST, state_full), (AP, ap_full), (GP, gp_full)]:
    add(f"{path.split('/')[-2]}-{path.split('/')[-1]}-PATCH", "PATCH", path, full, 405, {"x": 1})

names = [c["name"] for c in cases]
assert len(names) == len(set(names)), [n for n in names if names.count(n) > 1]
json.dump({"note": "malformed document-resource requests (xAPI Comm 2.2-2.7, 3.1); generated by "
                   "gen_documents_malformed.py; SEED_ETAG is replaced by "
                   "the seeded document's ETag", "cases": cases}, open(os.path.join(os.path.dirname(os.path.abspath(__file__)), 'documents_malformed.json'), 'w'), indent=1)
print(len(cases))
