#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""Regenerate the statement validation corpus (statements/tests/data/{valid,invalid}).

valid/NNN-name.json      realistic statements that every conformant LRS must accept
invalid/NNN-rule.json    a statement (or batch, or raw bytes) exactly as a client would POST it,
                         breaking one rule of xAPI 1.0.3; INDEX.tsv lists, per file, the JSON path
                         scolar reports (statements/stmt_validate.c), the spec section and a note.

Most invalid cases are mutations of a few valid base statements: one change each, so the
expected path is the path of that change. Run from anywhere:
    python3 statements/tests/data/gen_corpus.py
"""
import copy
import json
import os
import shutil

HERE = os.path.dirname(os.path.abspath(__file__))

UUID1 = "fd41c918-b88b-4b20-a0a5-a4c32391aaa0"
UUID2 = "7ccd3322-e1a5-411a-a67d-6a735c76f119"
REG = "ec531277-b57b-4c15-8d91-d292c5b2b8f7"
SHA = "672fa5fa658017f1b72d65036f13379c6ab05d4ab3b6664908d8acf0b6a0c634"

ACTOR = {"objectType": "Agent", "name": "Ana Lima", "mbox": "mailto:ana@example.com"}
VERB = {"id": "http://adlnet.gov/expapi/verbs/answered",
        "display": {"en-US": "answered", "fr-FR": "a répondu"}}
ACTIVITY = {
    "objectType": "Activity",
    "id": "http://example.com/course/q1",
    "definition": {
        "name": {"en-US": "Question 1"},
        "description": {"en-US": "Which colour?"},
        "type": "http://adlnet.gov/expapi/activities/cmi.interaction",
        "moreInfo": "https://example.com/course/q1/info",
        "interactionType": "choice",
        "correctResponsesPattern": ["red[,]blue"],
        "choices": [
            {"id": "red", "description": {"en-US": "Red"}},
            {"id": "blue", "description": {"en-US": "Blue"}},
            {"id": "green", "description": {"en-US": "Green"}},
        ],
        "extensions": {"http://example.com/ext/difficulty": 3},
    },
}

BASE = {
    "id": UUID1,
    "actor": ACTOR,
    "verb": VERB,
    "object": ACTIVITY,
    "result": {
        "score": {"scaled": 0.8, "raw": 8, "min": 0, "max": 10},
        "success": True,
        "completion": True,
        "response": "red[,]blue",
        "duration": "PT1M30S",
        "extensions": {"http://example.com/ext/attempts": 2},
    },
    "context": {
        "registration": REG,
        "instructor": {"name": "Teacher", "account": {"homePage": "https://lms.example.com",
                                                       "name": "t-17"}},
        "team": {"objectType": "Group", "name": "Team A",
                 "member": [{"mbox": "mailto:b@example.com"}]},
        "contextActivities": {
            "parent": [{"id": "http://example.com/course/quiz1", "objectType": "Activity"}],
            "grouping": [{"id": "http://example.com/course"}],
            "category": [{"id": "https://w3id.org/xapi/scorm",
                          "definition": {"type": "http://adlnet.gov/expapi/activities/profile"}}],
            "other": [{"id": "http://example.com/other"}],
        },
        "revision": "r2",
        "platform": "scolar",
        "language": "en-US",
        "statement": {"objectType": "StatementRef", "id": UUID2},
        "extensions": {"http://example.com/ext/session": "s1"},
    },
    "timestamp": "2024-03-01T10:00:00.123Z",
    "stored": "2024-03-01T10:00:01.000Z",
    "authority": {"objectType": "Agent", "name": "lrs client",
                  "account": {"homePage": "https://scolar.example.com", "name": "client-1"}},
    "version": "1.0.0",
    "attachments": [{
        "usageType": "http://adlnet.gov/expapi/attachments/signature",
        "display": {"en-US": "Signature"},
        "description": {"en-US": "A test signature"},
        "contentType": "application/octet-stream",
        "length": 4235,
        "sha2": SHA,
        "fileUrl": "https://example.com/files/sig",
    }],
}

SUB = {
    "actor": {"mbox": "mailto:ana@example.com"},
    "verb": {"id": "http://example.com/planned", "display": {"en-US": "planned"}},
    "object": {
        "objectType": "SubStatement",
        "actor": {"objectType": "Agent", "mbox": "mailto:ana@example.com"},
        "verb": {"id": "http://example.com/visited", "display": {"en-US": "will visit"}},
        "object": {"objectType": "Activity", "id": "http://example.com/website",
                   "definition": {"name": {"en-US": "Some Awesome Website"}}},
        "result": {"success": True},
        "context": {"registration": REG, "platform": "web"},
        "timestamp": "2030-01-01T00:00:00Z",
    },
}

GROUP_STMT = {
    "actor": {"objectType": "Group", "name": "Study group",
              "account": {"homePage": "https://lms.example.com", "name": "group-9"},
              "member": [{"mbox": "mailto:a@example.com"},
                         {"objectType": "Agent", "mbox_sha1sum":
                          "ebd31e95054c018b10727ccffd2ef2ec3a016ee9"}]},
    "verb": {"id": "http://adlnet.gov/expapi/verbs/attended"},
    "object": {"objectType": "Agent", "openid": "https://openid.example.com/jo"},
    "authority": {"objectType": "Group", "member": [
        {"account": {"homePage": "http://example.com/xAPI/OAuth/Token",
                     "name": "oauth_consumer_x75db"}},
        {"mbox": "mailto:bob@example.com"}]},
}

REF = {
    "actor": {"objectType": "Agent", "name": "Admin", "mbox": "mailto:admin@example.com"},
    "verb": {"id": "http://adlnet.gov/expapi/verbs/voided", "display": {"en-US": "voided"}},
    "object": {"objectType": "StatementRef", "id": UUID2},
}

# ---------------------------------------------------------------------------------------------


def jpath(p):
    s = "$"
    for k in p:
        s += "[%d]" % k if isinstance(k, int) else "." + k
    return s


def get(d, p):
    for k in p:
        d = d[k]
    return d


def mutate(base, ops):
    d = copy.deepcopy(base)
    for op in ops:
        kind, p = op[0], op[1]
        parent = get(d, p[:-1])
        if kind == "set":
            if isinstance(parent, list) and p[-1] == len(parent):
                parent.append(op[2])
            else:
                parent[p[-1]] = op[2]
        elif kind == "del":
            del parent[p[-1]]
        elif kind == "rename":  # keep order, change key
            items = list(parent.items())
            parent.clear()
            for k, v in items:
                parent[op[2] if k == p[-1] else k] = v
    return d


invalid = []  # (name, body(obj or bytes), expected_path, section, what)


def add(name, body, path, section, what):
    invalid.append((name, body, path, section, what))


def setc(name, base, p, value, section, what, expect=None):
    add(name, mutate(base, [("set", p, value)]), expect or jpath(p), section, what)


def delc(name, base, p, section, what, expect=None):
    add(name, mutate(base, [("del", p)]), expect or jpath(p), section, what)


def renc(name, base, p, newkey, section, what):
    add(name, mutate(base, [("rename", p, newkey)]), jpath(p[:-1] + [newkey]), section, what)


B = BASE
A = ["object"]
D = ["object", "definition"]
CTX = ["context"]
CA = ["context", "contextActivities"]
ATT = ["attachments", 0]
SC = ["result", "score"]

# 1. unknown properties (Data 2.2: additional properties SHOULD* be rejected; V5)
for p, sec in [([], "2.4"), (["actor"], "2.4.2.1"), (["verb"], "2.4.3"), (A, "2.4.4.1"),
               (D, "2.4.4.1"), (["result"], "2.4.5"), (SC, "2.4.5.1"), (CTX, "2.4.6"),
               (CA, "2.4.6.2"), (["context", "instructor", "account"], "2.4.2.4"),
               (ATT, "2.4.11"), (D + ["choices", 0], "2.4.4.1"),
               (["context", "statement"], "2.4.4.3"), (["context", "team"], "2.4.2.2"),
               (["context", "team", "member", 0], "2.4.2.1"), (["authority"], "2.4.9"),
               (CA + ["parent", 0], "2.4.4.1")]:
    setc("unknown-prop-" + (jpath(p)[2:].replace(".", "-").replace("[", "").replace("]", "")
                            or "statement"), B, p + ["foo"], 1, sec,
         "property not defined by the spec")
setc("unknown-prop-substatement", SUB, ["object", "foo"], True, "2.4.4.3", "extra key")
setc("unknown-prop-statementref", REF, ["object", "comment"], "x", "2.4.4.3", "extra key")
setc("unknown-prop-group-actor", GROUP_STMT, ["actor", "members"], [], "2.4.2.2", "members typo")
setc("unknown-prop-statement-objectType", B, ["objectType"], "Statement", "2.4",
     "a Statement has no objectType")
setc("unknown-prop-context-contextActivity", B, ["context", "contextActivity"], {}, "2.4.6",
     "singular typo")

# 2. keys in the wrong case (Data 2.2)
for p, new, sec in [(["actor"], "Actor", "2.2"), (["verb"], "Verb", "2.2"),
                    (["actor", "mbox"], "mBox", "2.4.2.3"),
                    (["actor", "objectType"], "objecttype", "2.4.2.1"),
                    (["verb", "display"], "Display", "2.4.3"),
                    (["context", "instructor", "account", "homePage"], "homepage", "2.4.2.4"),
                    (D + ["interactionType"], "interactiontype", "2.4.4.1"),
                    (D + ["correctResponsesPattern"], "correctresponsespattern", "2.4.4.1"),
                    (["result"], "Result", "2.4.5"), (SC + ["scaled"], "Scaled", "2.4.5.1"),
                    (CA + ["parent"], "Parent", "2.4.6.2"), (ATT + ["sha2"], "SHA2", "2.4.11"),
                    (ATT + ["fileUrl"], "fileURL", "2.4.11"), (["timestamp"], "Timestamp", "2.2"),
                    (CTX + ["registration"], "Registration", "2.4.6"),
                    (D + ["moreInfo"], "moreinfo", "2.4.4.1")]:
    renc("key-case-" + new, B, p, new, sec, "key in the wrong case")

# 3. nulls (Data 2.2: null values rejected except inside extensions)
for p, sec in [(["id"], "2.4.1"), (["actor", "name"], "2.4.2.1"), (["verb", "display"], "2.4.3"),
               (D + ["name"], "2.4.4.1"), (D + ["type"], "2.4.4.1"), (["result", "success"], "2.4.5"),
               (SC + ["raw"], "2.4.5.1"), (CTX + ["registration"], "2.4.6"),
               (CTX + ["revision"], "2.4.6"), (["timestamp"], "2.4.7"), (["version"], "2.4.10"),
               (["attachments"], "2.4.11"), (ATT + ["fileUrl"], "2.4.11"),
               (["context", "instructor", "account", "name"], "2.4.2.4"),
               (D + ["choices", 1, "description"], "2.4.4.1"), (["result"], "2.4.5"),
               (["context"], "2.4.6"), (["authority"], "2.4.9"), (CA + ["grouping"], "2.4.6.2"),
               (["actor", "objectType"], "2.4.2.1"), (A + ["objectType"], "2.4.4"),
               (["result", "duration"], "2.4.5"), (["result", "extensions"], "2.4.5"),
               (ATT + ["description"], "2.4.11")]:
    setc("null-" + jpath(p)[2:].replace(".", "-").replace("[", "").replace("]", ""), B, p, None,
         sec, "null outside extensions")
setc("null-lang-map-value", B, ["verb", "display", "en-US"], None, "4.2", "null display value")
setc("null-in-member-list", GROUP_STMT, ["actor", "member", 1], None, "2.4.2.2",
     "null member", expect="$.actor.member[1]")
setc("null-correct-response", B, D + ["correctResponsesPattern", 0], None, "2.4.4.1",
     "null pattern string")
setc("null-actor", B, ["actor"], None, "2.2", "null actor")
setc("null-object", B, ["object"], None, "2.2", "null object")

# 4. wrong JSON types (Data 2.2: strings where numbers/booleans are required, etc.)
for p, val, sec in [(SC + ["scaled"], "0.8", "2.4.5.1"), (SC + ["raw"], "8", "2.4.5.1"),
                    (SC + ["min"], "0", "2.4.5.1"), (SC + ["max"], "10", "2.4.5.1"),
                    (SC + ["raw"], True, "2.4.5.1"), (ATT + ["length"], "4235", "2.4.11"),
                    (["result", "success"], "true", "2.4.5"),
                    (["result", "completion"], "false", "2.4.5"),
                    (["result", "success"], 1, "2.4.5"), (["actor", "name"], 5, "2.4.2.1"),
                    (["result", "response"], 5, "2.4.5"), (["result", "duration"], 90, "2.4.5"),
                    (CTX + ["revision"], 2, "2.4.6"), (CTX + ["platform"], True, "2.4.6"),
                    (ATT + ["contentType"], 1, "2.4.11"), (["verb", "id"], 1, "2.4.3"),
                    (A + ["id"], 7, "2.4.4.1"), (["id"], 123, "2.4.1"),
                    (["timestamp"], 1709287200, "2.4.7"), (["version"], 1.0, "2.4.10"),
                    (ATT + ["sha2"], 1, "2.4.11"), (["actor", "mbox"], 1, "2.4.2.3"),
                    (["context", "instructor", "account", "name"], 17, "2.4.2.4"),
                    (["actor"], [], "2.4.2"), (["verb"], "answered", "2.4.3"), (A, [], "2.4.4"),
                    (["result"], [], "2.4.5"), (CTX, "ctx", "2.4.6"), (D, [], "2.4.4.1"),
                    (SC, 80, "2.4.5.1"), (["context", "instructor", "account"], "t-17", "2.4.2.4"),
                    (["verb", "display"], "answered", "4.2"),
                    (["result", "extensions"], [], "4.1"), (CA, [], "2.4.6.2"),
                    (["context", "team", "member"], {"mbox": "mailto:b@example.com"}, "2.4.2.2"),
                    (["attachments"], {}, "2.4.11"), (D + ["correctResponsesPattern"], "red",
                                                      "2.4.4.1"),
                    (D + ["choices"], {}, "2.4.4.1"), (D + ["name", "en-US"], 5, "4.2"),
                    (D + ["correctResponsesPattern", 0], 1, "2.4.4.1"),
                    (D + ["choices", 0], "red", "2.4.4.1"), (D + ["choices", 0, "id"], 1,
                                                             "2.4.4.1"),
                    (ATT, "attachment", "2.4.11"), (CA + ["parent"], "http://example.com/p",
                                                    "2.4.6.2"),
                    (CA + ["parent", 0], "http://example.com/p", "2.4.6.2"),
                    (CTX + ["statement"], UUID2, "2.4.6"), (CTX + ["language"], 1, "2.4.6"),
                    (CTX + ["registration"], 1, "2.4.6"), (D + ["interactionType"], 1, "2.4.4.1"),
                    (["authority"], "client", "2.4.9"), (["context", "instructor"], "t",
                                                          "2.4.6")]:
        setc("type-" + jpath(p)[2:].replace(".", "-").replace("[", "").replace("]", "") + "-" +
             type(val).__name__, B, p, val, sec, "wrong JSON type")
setc("type-stmtref-id-number", REF, ["object", "id"], 5, "2.4.4.3", "wrong type")
setc("type-group-name-array", GROUP_STMT, ["actor", "name"], ["a"], "2.4.2.2", "wrong type")

# 5. IRIs without scheme or malformed (Data 2.2, 4.3)
for p, val, sec in [(["verb", "id"], "verbs/answered", "2.4.3"), (["verb", "id"], "", "2.4.3"),
                    (["verb", "id"], "http://", "2.4.3"),
                    (["verb", "id"], "http://exa mple.com/v", "2.4.3"),
                    (["verb", "id"], "example.com/v", "2.4.3"),
                    (["verb", "id"], "http://example.com/<v>", "2.4.3"),
                    (["verb", "id"], "http://example.com/%zz", "2.4.3"),
                    (["verb", "id"], "://example.com", "2.4.3"),
                    (["verb", "id"], "1http://example.com", "2.4.3"),
                    (["verb", "id"], "http:/example.com", "2.4.3"),
                    (A + ["id"], "activity-1", "2.4.4.1"), (A + ["id"], " http://x.com", "2.4.4.1"),
                    (A + ["id"], "#fragment", "2.4.4.1"),
                    (D + ["type"], "cmi.interaction", "2.4.4.1"),
                    (D + ["moreInfo"], "www.example.com/info", "2.4.4.1"),
                    (["context", "instructor"], {"openid": "jo"}, "2.4.2.3"),
                    (["context", "instructor", "account", "homePage"], "lms.example.com",
                     "2.4.2.4"), (ATT + ["usageType"], "signature", "2.4.11"),
                    (ATT + ["fileUrl"], "files/sig", "2.4.11"),
                    (CA + ["parent", 0, "id"], "quiz1", "2.4.4.1"),
                    (["verb", "id"], "http://example.com/\\v", "2.4.3"),
                    (["verb", "id"], "http://example.com/v\tx", "2.4.3"),
                    (["verb", "id"], "http:", "2.4.3")]:
    name = "iri-" + jpath(p)[2:].replace(".", "-").replace("[", "").replace("]", "")
    exp = jpath(p) if not isinstance(val, dict) else jpath(p + ["openid"])
    setc(name + "-%d" % len(invalid), B, p, val, sec, "invalid IRI %r" % (val,), expect=exp)
for where, sec in [(["result"], "4.1"), (CTX, "4.1"), (D, "4.1")]:
    p = where + ["extensions"]
    d = mutate(B, [("set", p, {"attempts": 2})])
    add("iri-extension-key-" + where[-1], d, jpath(p + ["attempts"]), sec,
        "extension keys MUST be IRIs")
add("iri-extension-key-empty", mutate(B, [("set", ["result", "extensions"], {"": 1})]),
    "$.result.extensions.", "4.1", "empty extension key")

# 6. mbox (Data 2.4.2.3: "mailto:email address")
for i, val in enumerate(["ana@example.com", "mailto:", "mailto:ana", "MAILTO:ana@example.com",
                         "mailto:a@b@example.com", "mailto:an a@example.com", "",
                         "mailto:@example.com", "mailto:ana@", "http://example.com/ana",
                         "mailto:<ana@example.com>", "mailto:ana@example.com\n"]):
    setc("mbox-actor-%02d" % i, B, ["actor", "mbox"], val, "2.4.2.3", "bad mbox %r" % val)
setc("mbox-team-member", B, ["context", "team", "member", 0, "mbox"], "b@example.com",
     "2.4.2.3", "member mbox without mailto")
setc("mbox-object-agent", GROUP_STMT, ["object"], {"objectType": "Agent", "mbox": "jo"},
     "2.4.2.3", "object agent", expect="$.object.mbox")
setc("mbox-authority", REF, ["authority"], {"mbox": "admin@example.com"}, "2.4.2.3",
     "authority mbox", expect="$.authority.mbox")

# 7. mbox_sha1sum
for i, val in enumerate(["ebd31e95054c018b10727ccffd2ef2ec3a016ee", "ebd31e95054c018b10727ccffd2ef2ec3a016ee9a",
                         "zbd31e95054c018b10727ccffd2ef2ec3a016ee9", "",
                         "mailto:ana@example.com"]):
    setc("sha1sum-%d" % i, GROUP_STMT, ["actor", "member", 1, "mbox_sha1sum"], val, "2.4.2.3",
         "bad mbox_sha1sum")

# 8. IFI counts (Data 2.4.2.1, 2.4.2.2)
add("ifi-agent-none", mutate(B, [("del", ["actor", "mbox"])]), "$.actor", "2.4.2.1",
    "Agent without an IFI")
add("ifi-agent-two-openid", mutate(B, [("set", ["actor", "openid"], "https://id.example.com/a")]),
    "$.actor", "2.4.2.1", "mbox and openid")
add("ifi-agent-two-account", mutate(B, [("set", ["actor", "account"],
                                         {"homePage": "https://x.com", "name": "a"})]),
    "$.actor", "2.4.2.1", "mbox and account")
add("ifi-agent-two-sha1", mutate(B, [("set", ["actor", "mbox_sha1sum"],
                                      "ebd31e95054c018b10727ccffd2ef2ec3a016ee9")]),
    "$.actor", "2.4.2.1", "mbox and sha1sum")
add("ifi-group-two", mutate(GROUP_STMT, [("set", ["actor", "mbox"], "mailto:g@example.com")]),
    "$.actor", "2.4.2.2", "identified group with two IFIs")
add("ifi-anon-group-no-member", mutate(GROUP_STMT, [("del", ["actor", "account"]),
                                                    ("del", ["actor", "member"])]),
    "$.actor.member", "2.4.2.2", "anonymous group without member")
add("ifi-member-none", mutate(GROUP_STMT, [("set", ["actor", "member", 0], {"name": "x"})]),
    "$.actor.member[0]", "2.4.2.1", "member without IFI")
add("ifi-member-two", mutate(GROUP_STMT, [("set", ["actor", "member", 0, "openid"],
                                           "https://id.example.com/a")]),
    "$.actor.member[0]", "2.4.2.1", "member with two IFIs")
add("ifi-authority-none", mutate(B, [("set", ["authority"], {"name": "x"})]), "$.authority",
    "2.4.9", "authority without IFI")
add("ifi-instructor-none", mutate(B, [("set", ["context", "instructor"], {"objectType": "Agent"})]),
    "$.context.instructor", "2.4.2.1", "instructor without IFI")
add("ifi-object-agent-none", mutate(GROUP_STMT, [("set", ["object"], {"objectType": "Agent",
                                                                       "name": "x"})]),
    "$.object", "2.4.2.1", "object agent without IFI")
add("ifi-anon-team-no-member", mutate(B, [("set", ["context", "team"], {"objectType": "Group",
                                                                         "name": "t"})]),
    "$.context.team.member", "2.4.2.2", "anonymous team without member")

# 9. account (Data 2.4.2.4)
ACC = ["context", "instructor", "account"]
delc("account-no-homepage", B, ACC + ["homePage"], "2.4.2.4", "homePage required")
delc("account-no-name", B, ACC + ["name"], "2.4.2.4", "name required")
setc("account-empty-homepage", B, ACC + ["homePage"], "", "2.4.2.4", "empty homePage")
setc("account-mbox-inside", B, ACC + ["mbox"], "mailto:x@example.com", "2.4.2.4",
     "account has only homePage and name")

# 10. objectType values (case-sensitive enumerations)
setc("objtype-actor-lower-agent", B, ["actor", "objectType"], "agent", "2.4.2", "lower case")
setc("objtype-actor-lower-group", GROUP_STMT, ["actor", "objectType"], "group", "2.4.2",
     "lower case group (then it is no Agent either)")
setc("objtype-actor-activity", B, ["actor", "objectType"], "Activity", "2.4.2", "actor Activity")
setc("objtype-actor-person", B, ["actor", "objectType"], "Person", "2.4.2", "Person")
setc("objtype-actor-empty", B, ["actor", "objectType"], "", "2.4.2", "empty")
setc("objtype-object-lower-activity", B, A + ["objectType"], "activity", "2.4.4", "lower case")
setc("objtype-object-statement", REF, ["object", "objectType"], "Statement", "2.4.4",
     "Statement is not an objectType")
setc("objtype-object-lower-statementref", REF, ["object", "objectType"], "statementref", "2.4.4",
     "lower case")
setc("objtype-object-lower-substatement", SUB, ["object", "objectType"], "substatement", "2.4.4",
     "lower case")
setc("objtype-member-group", GROUP_STMT, ["actor", "member", 0, "objectType"], "Group",
     "2.4.2.2", "Group as a member")
setc("objtype-member-activity", GROUP_STMT, ["actor", "member", 0, "objectType"], "Activity",
     "2.4.2.1", "Activity as a member")
setc("objtype-team-agent", B, ["context", "team", "objectType"], "Agent", "2.4.6",
     "team MUST be a Group")
delc("objtype-team-missing", B, ["context", "team", "objectType"], "2.4.6",
     "team without objectType")
delc("objtype-context-statement-missing", B, ["context", "statement", "objectType"], "2.4.4.3",
     "StatementRef needs objectType")
setc("objtype-context-statement-wrong", B, ["context", "statement", "objectType"], "Statement",
     "2.4.4.3", "wrong")
setc("objtype-ca-agent", B, CA + ["other", 0, "objectType"], "Agent", "2.4.6.2",
     "contextActivities hold Activities only")
add("objtype-object-agent-missing", mutate(GROUP_STMT, [("del", ["object", "objectType"])]),
    "$.object.openid", "2.4.4.2", "Agent object without objectType is an Activity")
setc("objtype-authority-activity", B, ["authority", "objectType"], "Activity", "2.4.2.1",
     "authority not an Agent")
delc("objtype-stmtref-id-missing", REF, ["object", "id"], "2.4.4.3", "StatementRef needs id")
setc("objtype-object-number", B, A + ["objectType"], 1, "2.4.4", "objectType number")

# 11. UUIDs (Data 2.4.1, 4.4)
for i, val in enumerate(["123", "{fd41c918-b88b-4b20-a0a5-a4c32391aaa0}",
                         "fd41c918b88b4b20a0a5a4c32391aaa0", "fd41c918-b88b-4b20-a0a5-a4c32391aaa",
                         "gd41c918-b88b-4b20-a0a5-a4c32391aaa0", "",
                         "fd41c918-b88b-4b20-a0a5-a4c32391aaa0 ",
                         "urn:uuid:fd41c918-b88b-4b20-a0a5-a4c32391aaa0"]):
    setc("uuid-id-%d" % i, B, ["id"], val, "2.4.1", "bad statement id %r" % val)
setc("uuid-registration", B, CTX + ["registration"], "reg-1", "2.4.6", "registration")
setc("uuid-stmtref", REF, ["object", "id"], "not-a-uuid", "2.4.4.3", "StatementRef id")
setc("uuid-context-statement", B, CTX + ["statement", "id"], "12345", "2.4.4.3",
     "context.statement id")

# 12. language tags (Data 2.2: RFC 5646 token lengths; 4.2)
for i, tag in enumerate(["", "en_US", "en-abcdefghi", "e", "en-", "-en", "123", "en--US",
                         "en-US-US", "en-a", "x", "toolongtag", "en-US-x", "en@US"]):
    add("langtag-verb-display-%02d" % i,
        mutate(B, [("set", ["verb", "display"], {tag: "answered"})]),
        "$.verb.display." + tag, "2.2, 4.2", "bad language tag %r" % tag)
add("langtag-activity-name", mutate(B, [("set", D + ["name"], {"en_GB": "Q"})]),
    "$.object.definition.name.en_GB", "4.2", "name map key")
add("langtag-activity-description",
    mutate(B, [("set", D + ["description"], {"EN-US-": "Q"})]),
    "$.object.definition.description.EN-US-", "4.2", "description map key")
add("langtag-component", mutate(B, [("set", D + ["choices", 2, "description"], {"g1": "G"})]),
    "$.object.definition.choices[2].description.g1", "4.2", "component description key")
add("langtag-attachment-display", mutate(B, [("set", ATT + ["display"], {"e n": "S"})]),
    "$.attachments[0].display.e n", "4.2", "attachment display key")
for i, tag in enumerate(["en_US", "e-n", "1", "en-"]):
    setc("langtag-context-language-%d" % i, B, CTX + ["language"], tag, "2.4.6",
         "context.language %r" % tag)

# 13. interactions (Data 2.4.4.1)
for i, val in enumerate(["Choice", "multiple-choice", "", "true_false", "TRUE-FALSE"]):
    setc("interaction-type-%d" % i, B, D + ["interactionType"], val, "2.4.4.1",
         "interactionType %r" % val)
delc("interaction-crp-without-type", mutate(B, [("del", D + ["choices"])]),
     D + ["interactionType"], "2.4.4.1", "correctResponsesPattern needs interactionType",
     expect="$.object.definition.correctResponsesPattern")
add("interaction-choices-without-type",
    mutate(B, [("del", D + ["interactionType"]), ("del", D + ["correctResponsesPattern"])]),
    "$.object.definition.choices", "2.4.4.1", "choices need interactionType")
for itype, lst in [("true-false", "choices"), ("choice", "scale"), ("likert", "source"),
                   ("sequencing", "target"), ("matching", "steps"), ("fill-in", "choices"),
                   ("numeric", "scale"), ("other", "steps"), ("performance", "choices"),
                   ("long-fill-in", "target"), ("likert", "choices"), ("choice", "source")]:
    d = mutate(B, [("set", D + ["interactionType"], itype)])
    if lst != "choices":
        d = mutate(d, [("del", D + ["choices"]), ("set", D + [lst], [{"id": "a"}])])
    add("interaction-%s-with-%s" % (itype, lst), d, "$.object.definition." + lst, "2.4.4.1",
        "component list not supported for this interactionType")
delc("interaction-component-no-id", B, D + ["choices", 1, "id"], "2.4.4.1", "component id")
setc("interaction-component-dup-id", B, D + ["choices", 2, "id"], "red", "2.4.4.1",
     "duplicate component id")
setc("interaction-component-extra", B, D + ["choices", 0, "name"], {"en-US": "x"}, "2.4.4.1",
     "component has only id and description")
setc("interaction-component-desc-string", B, D + ["choices", 0, "description"], "Red",
     "2.4.4.1", "description must be a language map")
setc("interaction-crp-object", B, D + ["correctResponsesPattern"], {"0": "red"}, "2.4.4.1",
     "not an array")

# 14. result (Data 2.4.5, 2.4.5.1, 4.6)
for i, (p, val) in enumerate([(SC + ["scaled"], 1.5), (SC + ["scaled"], -1.01),
                              (SC + ["scaled"], 100), (SC + ["raw"], -1), (SC + ["raw"], 11),
                              (SC + ["min"], 20)]):
    setc("score-%d-%s" % (i, p[-1]), B, p, val, "2.4.5.1", "score %s=%r" % (p[-1], val),
         expect=jpath(p) if p[-1] != "min" else "$.result.score.min")
add("score-min-gt-max", mutate(B, [("set", SC, {"min": 10, "max": 5})]), "$.result.score.min",
    "2.4.5.1", "min greater than max")
for i, val in enumerate(["1 hour", "PT", "P", "P1DT", "P4W1D", "PT1.5M30S", "-PT1S", "P1H",
                         "PT1H1H", "P0003-06-04T12:30:05", "PT1S ", "pt1s", "P1Y2D1M", "PT.5S",
                         "PT1.S", "T1H", "90"]):
    setc("duration-%02d" % i, B, ["result", "duration"], val, "4.6", "duration %r" % val)

# 15. context (Data 2.4.6)
add("context-revision-agent-object",
    mutate(GROUP_STMT, [("set", ["context"], {"revision": "r1"})]), "$.context.revision",
    "2.4.6", "revision only with an Activity object")
add("context-platform-statementref",
    mutate(REF, [("set", ["context"], {"platform": "web"})]), "$.context.platform", "2.4.6",
    "platform only with an Activity object")
add("context-revision-substatement",
    mutate(SUB, [("set", ["context"], {"revision": "r1"})]), "$.context.revision", "2.4.6",
    "revision with SubStatement object")
add("context-platform-group-object",
    mutate(B, [("set", ["object"], {"objectType": "Group", "member": [
        {"mbox": "mailto:x@example.com"}]}), ("del", ["context", "revision"])]),
    "$.context.platform", "2.4.6", "platform with Group object")
add("context-sub-revision-agent",
    mutate(SUB, [("set", ["object", "object"], {"objectType": "Agent",
                                                  "mbox": "mailto:x@example.com"})]),
    "$.object.context.platform", "2.4.6", "platform inside SubStatement with Agent object")
for key in ["parents", "Parent", "categories", "others", "context"]:
    add("context-activities-key-" + key,
        mutate(B, [("set", CA + [key], [{"id": "http://example.com/x"}])]),
        "$.context.contextActivities." + key, "2.4.6.2", "contextActivities key")
delc("context-activities-no-id", B, CA + ["grouping", 0, "id"], "2.4.4.1", "activity id")
setc("context-activities-number", B, CA + ["category"], 5, "2.4.6.2", "value must be Activity")
setc("context-activities-single-bad", B, CA + ["other"], {"id": "other"}, "2.4.6.2",
     "single activity with bad id", expect="$.context.contextActivities.other.id")

# 16. timestamps (Data 4.5) and stored (2.4.8)
for i, val in enumerate(["2024-03-01", "2024-03-01T10:00:00", "2024-03-01T10:00:00-00:00",
                         "2024-03-01T10:00:00-0000", "2024-03-01T10:00:00-00", "yesterday",
                         "2024-13-01T10:00:00Z", "2024-03-01 10:00:00Z",
                         "2024-03-01T25:00:00Z", "2024-03-01T10:00:00.Z", "",
                         "2024-03-01T10:00:00+24:00", "1709287200"]):
    setc("timestamp-%02d" % i, B, ["timestamp"], val, "4.5", "timestamp %r" % val)
for i, val in enumerate(["2024-03-01T10:00:01", "2024-03-01T10:00:01-00:00", "now"]):
    setc("stored-%d" % i, B, ["stored"], val, "2.4.8, 4.5", "stored %r" % val)
setc("timestamp-substatement", SUB, ["object", "timestamp"], "2030-01-01", "4.5",
     "SubStatement timestamp")

# 17. version (Data 2.4.10)
for i, val in enumerate(["0.9.5", "1.1.0", "2.0.0", "1.0.x", "1.0.0-", "", "1.0.0 ",
                         "v1.0.0", "1.0.", "0.95"]):
    setc("version-%02d" % i, B, ["version"], val, "2.4.10", "version %r" % val)

# 18. authority (Data 2.4.9)
OAUTH = GROUP_STMT["authority"]
add("authority-group-one-member",
    mutate(GROUP_STMT, [("set", ["authority", "member"], OAUTH["member"][:1])]),
    "$.authority.member", "2.4.9", "OAuth group has two Agents")
add("authority-group-three-members",
    mutate(GROUP_STMT, [("set", ["authority", "member"],
                         OAUTH["member"] + [{"mbox": "mailto:c@example.com"}])]),
    "$.authority.member", "2.4.9", "three members")
add("authority-group-no-member",
    mutate(GROUP_STMT, [("del", ["authority", "member"])]), "$.authority.member", "2.4.2.2",
    "anonymous group without members")
add("authority-group-member-group",
    mutate(GROUP_STMT, [("set", ["authority", "member", 1], {"objectType": "Group",
                                                               "mbox": "mailto:g@example.com"})]),
    "$.authority.member[1].objectType", "2.4.2.2", "group inside group")
setc("authority-array", B, ["authority"], [ACTOR], "2.4.9", "array")

# 19. SubStatements (Data 2.4.4.3)
for key, val in [("id", UUID1), ("stored", "2024-03-01T10:00:00Z"), ("version", "1.0.0"),
                 ("authority", ACTOR)]:
    setc("substatement-has-" + key, SUB, ["object", key], val, "2.4.4.3",
         "SubStatement MUST NOT have " + key)
setc("substatement-nested", SUB, ["object", "object"], copy.deepcopy(SUB["object"]), "2.4.4.3",
     "SubStatement inside SubStatement", expect="$.object.object.objectType")
for key in ["actor", "verb", "object"]:
    delc("substatement-no-" + key, SUB, ["object", key], "2.4.4.3", "SubStatement needs " + key)
add("substatement-no-objecttype", mutate(SUB, [("del", ["object", "objectType"])]),
    "$.object.actor", "2.4.4.3", "without objectType it is an Activity")
setc("substatement-bad-actor", SUB, ["object", "actor", "mbox"], "ana", "2.4.2.3",
     "validated as a Statement")
setc("substatement-bad-verb", SUB, ["object", "verb", "id"], "visited", "2.4.3",
     "validated as a Statement")
setc("substatement-bad-context", SUB, ["object", "context", "registration"], "r", "2.4.6",
     "validated as a Statement")

# 20. attachments (Data 2.4.11)
for key in ["usageType", "display", "contentType", "length", "sha2"]:
    delc("attachment-no-" + key, B, ATT + [key], "2.4.11", key + " is required")
for i, (key, val) in enumerate([("length", -1), ("length", 1.5), ("sha2", "abc"),
                                ("sha2", "z" * 64), ("sha2", SHA + "0"),
                                ("contentType", "pdf"), ("contentType", ""),
                                ("contentType", "application/"), ("display", "Signature"),
                                ("description", ["x"]), ("length", 1e20)]):
    setc("attachment-%02d-%s" % (i, key), B, ATT + [key], val, "2.4.11",
         "attachment %s=%r" % (key, val))
add("attachment-second-bad", mutate(B, [("set", ["attachments", 1],
                                         {"usageType": "http://example.com/u",
                                          "display": {"en": "x"}, "contentType": "text/plain",
                                          "length": 1})]),
    "$.attachments[1].sha2", "2.4.11", "second attachment lacks sha2")

# 20b. voiding (Data 2.3.2): the object of a voiding statement MUST be a StatementRef
add("voiding-object-activity", mutate(REF, [("set", ["object"], {"id": "http://example.com/a"})]),
    "$.object.objectType", "2.3.2", "voided verb with an Activity object")
add("voiding-object-substatement", mutate(SUB, [("set", ["verb"], REF["verb"])]),
    "$.object.objectType", "2.3.2", "voided verb with a SubStatement object")
add("voiding-object-agent", mutate(REF, [("set", ["object"], {"objectType": "Agent",
                                                               "mbox": "mailto:x@example.com"})]),
    "$.object.objectType", "2.3.2", "voided verb with an Agent object")

# 21. statement level and batches (Data 2.2, Comm 2.1.2)
for key in ["actor", "verb", "object"]:
    delc("statement-no-" + key, B, [key], "2.2", "a Statement MUST use actor, verb and object")
delc("statement-no-verb-id", B, ["verb", "id"], "2.4.3", "verb id required")
delc("statement-no-activity-id", B, A + ["id"], "2.4.4.1", "activity id required")
add("statement-empty-object", {}, "$.actor", "2.2", "empty statement")
add("batch-second-invalid", [REF, mutate(B, [("set", ["verb", "id"], "answered")])],
    "$[1].verb.id", "2.4.3", "one bad statement rejects the batch")
add("batch-duplicate-ids", [mutate(REF, [("set", ["id"], UUID1)]), B], "$[1].id",
    "Comm 2.1.2", "same id twice in one batch")
add("batch-duplicate-ids-case", [mutate(REF, [("set", ["id"], UUID1.upper())]), B], "$[1].id",
    "Comm 2.1.2", "same id differing in case")
add("batch-element-string", [REF, "statement"], "$[1]", "2.4", "array element not an object")
add("batch-nested-array", [[REF]], "$[0]", "2.4", "array of arrays")
add("body-string", "statement", "$", "Comm 2.1.2", "body is a JSON string")
add("body-number", 42, "$", "Comm 2.1.2", "body is a number")
add("body-null", None, "$", "Comm 2.1.2", "body is null")

# 22. strict JSON (security.md 3; V6 duplicate keys)
raw_ok = json.dumps(REF)
add("json-duplicate-key-actor",
    b'{"actor":{"mbox":"mailto:a@example.com","mbox":"mailto:b@example.com"},'
    b'"verb":{"id":"http://example.com/v"},"object":{"id":"http://example.com/a"}}',
    "$.actor.mbox", "2.2 (V6)", "duplicate key")
add("json-duplicate-key-top",
    b'{"actor":{"mbox":"mailto:a@example.com"},"verb":{"id":"http://example.com/v"},'
    b'"object":{"id":"http://example.com/a"},"verb":{"id":"http://example.com/w"}}',
    "$.verb", "2.2 (V6)", "duplicate statement property")
add("json-nul-escape-in-mbox",
    b'{"actor":{"mbox":"mailto:a@example.com\\u0000x"},"verb":{"id":"http://example.com/v"},'
    b'"object":{"id":"http://example.com/a"}}', "$.actor.mbox", "security.md 3",
    "\\u0000 would truncate")
add("json-invalid-utf8",
    b'{"actor":{"mbox":"mailto:a@example.com","name":"\xff"},"verb":{"id":"http://example.com/v"},'
    b'"object":{"id":"http://example.com/a"}}', "$.actor.name", "Comm 1.4", "invalid UTF-8")
add("json-overlong-utf8",
    b'{"actor":{"mbox":"mailto:a@example.com","name":"\xc0\xaf"},"verb":{"id":"http://example.com/v"},'
    b'"object":{"id":"http://example.com/a"}}', "$.actor.name", "Comm 1.4", "overlong UTF-8")
add("json-lone-surrogate",
    b'{"actor":{"mbox":"mailto:a@example.com","name":"\\ud800"},"verb":{"id":"http://example.com/v"},'
    b'"object":{"id":"http://example.com/a"}}', "$.actor.name", "RFC 8259 8.2", "lone surrogate")
add("json-raw-control",
    b'{"actor":{"mbox":"mailto:a@example.com","name":"a\x01b"},"verb":{"id":"http://example.com/v"},'
    b'"object":{"id":"http://example.com/a"}}', "$.actor.name", "RFC 8259 7", "raw control char")
add("json-trailing-garbage", raw_ok.encode() + b" x", "$", "RFC 8259 2", "trailing bytes")
add("json-two-statements", raw_ok.encode() + raw_ok.encode(), "$", "RFC 8259 2",
    "two concatenated objects")
add("json-leading-zero",
    b'{"actor":{"mbox":"mailto:a@example.com"},"verb":{"id":"http://example.com/v"},'
    b'"object":{"id":"http://example.com/a"},"result":{"score":{"raw":007}}}',
    "$.result.score.raw", "RFC 8259 6", "leading zeros")
add("json-1e400",
    b'{"actor":{"mbox":"mailto:a@example.com"},"verb":{"id":"http://example.com/v"},'
    b'"object":{"id":"http://example.com/a"},"result":{"score":{"raw":1e400}}}',
    "$.result.score.raw", "RFC 8259 6", "not finite")
add("json-nan",
    b'{"actor":{"mbox":"mailto:a@example.com"},"verb":{"id":"http://example.com/v"},'
    b'"object":{"id":"http://example.com/a"},"result":{"score":{"scaled":NaN}}}',
    "$.result.score.scaled", "RFC 8259 6", "NaN")
add("json-empty-body", b"", "$", "RFC 8259 2", "empty body")
add("json-bom", b"\xef\xbb\xbf" + raw_ok.encode(), "$", "RFC 8259 8.1", "byte order mark")
add("json-trailing-comma",
    b'{"actor":{"mbox":"mailto:a@example.com"},"verb":{"id":"http://example.com/v"},'
    b'"object":{"id":"http://example.com/a"},}', "$", "RFC 8259 4", "trailing comma")
deep = b'"x"'
for _ in range(70):
    deep = b'{"a":' + deep + b"}"
add("json-deep-extension",
    b'{"actor":{"mbox":"mailto:a@example.com"},"verb":{"id":"http://example.com/v"},'
    b'"object":{"id":"http://example.com/a"},"result":{"extensions":{"http://example.com/e":' +
    deep + b"}}}", "$.result.extensions.http://example.com/e" + ".a" * 61, "security.md 3",
    "nesting deeper than 64")
add("json-single-quotes", b"{'actor':{}}", "$", "RFC 8259 4", "single quotes")

# ---------------------------------------------------------------------------------------------
# Valid statements: realistic shapes an LRS must accept.

valid = []


def v(name, stmt):
    valid.append((name, stmt))


def stmt(actor, verb_id, verb_word, obj, **kw):
    s = {"actor": actor, "verb": {"id": verb_id, "display": {"en-US": verb_word}}, "object": obj}
    s.update(kw)
    return s


LEARNER = {"objectType": "Agent", "name": "Sam Learner",
           "account": {"homePage": "https://lms.example.com", "name": "sam"}}
COURSE = "https://example.com/courses/safety"
SCO = COURSE + "/sco/1"
CMI5_CAT = {"id": "https://w3id.org/xapi/cmi5/context/categories/cmi5"}
CMI5_MOVE = {"id": "https://w3id.org/xapi/cmi5/context/categories/moveon"}
CMI5_EXT = {"https://w3id.org/xapi/cmi5/context/extensions/sessionid": "458240298378231"}
SCORM_CTX = {"registration": REG, "contextActivities": {
    "parent": [{"id": COURSE, "objectType": "Activity"}],
    "grouping": [{"id": COURSE}],
    "category": [{"id": "https://w3id.org/xapi/scorm",
                  "definition": {"type": "http://adlnet.gov/expapi/activities/profile"}}]}}

v("spec-minimal", {"id": "12345678-1234-5678-1234-567812345678",
                   "actor": {"mbox": "mailto:xapi@adlnet.gov"},
                   "verb": {"id": "http://adlnet.gov/expapi/verbs/created",
                            "display": {"en-US": "created"}},
                   "object": {"id": "http://example.adlnet.gov/xapi/example/activity"}})
v("base-full", BASE)
v("substatement", SUB)
v("group-identified-oauth-authority", GROUP_STMT)
v("voiding", REF)
for verb, word in [("launched", "launched"), ("initialized", "initialized"),
                   ("suspended", "suspended"), ("resumed", "resumed"),
                   ("terminated", "terminated")]:
    v("scorm-" + verb, stmt(LEARNER, "http://adlnet.gov/expapi/verbs/" + verb, word,
                            {"id": SCO, "definition": {
                                "type": "http://adlnet.gov/expapi/activities/lesson",
                                "name": {"en-US": "Lesson 1"}}},
                            context=SCORM_CTX, timestamp="2024-03-01T10:00:00Z"))
v("scorm-completed", stmt(LEARNER, "http://adlnet.gov/expapi/verbs/completed", "completed",
                          {"id": SCO}, context=SCORM_CTX,
                          result={"completion": True, "duration": "PT12M3.47S"}))
v("scorm-passed-score", stmt(LEARNER, "http://adlnet.gov/expapi/verbs/passed", "passed",
                             {"id": SCO}, context=SCORM_CTX,
                             result={"success": True, "score": {"scaled": 0.92, "raw": 92,
                                                                "min": 0, "max": 100}}))
v("scorm-failed", stmt(LEARNER, "http://adlnet.gov/expapi/verbs/failed", "failed", {"id": SCO},
                       context=SCORM_CTX, result={"success": False,
                                                  "score": {"scaled": -0.25}}))
for verb in ["launched", "initialized", "completed", "passed", "terminated"]:
    res = None
    cat = [CMI5_CAT]
    if verb == "completed":
        res = {"completion": True, "duration": "PT30M"}
        cat = [CMI5_CAT, CMI5_MOVE]
    elif verb == "passed":
        res = {"success": True, "duration": "PT31M2S", "score": {"scaled": 1}}
        cat = [CMI5_CAT, CMI5_MOVE]
    elif verb == "terminated":
        res = {"duration": "PT45M"}
    s = stmt(LEARNER, "http://adlnet.gov/expapi/verbs/" + verb, verb,
             {"objectType": "Activity", "id": "https://example.com/au/1"},
             id="2a41c918-b88b-4b20-a0a5-a4c32391aa%02d" % len(valid),
             timestamp="2024-03-01T10:%02d:00.000+02:00" % len(valid),
             context={"registration": REG, "contextActivities": {"category": cat},
                      "extensions": CMI5_EXT})
    if res:
        s["result"] = res
    v("cmi5-" + verb, s)
INTERACTIONS = {
    "true-false": ({"correctResponsesPattern": ["true"]}, "true"),
    "choice": ({"correctResponsesPattern": ["golf[,]tetris"], "choices": [
        {"id": "golf", "description": {"en-US": "Golf Example"}},
        {"id": "tetris", "description": {"en-US": "Tetris Example"}}]}, "golf[,]tetris"),
    "fill-in": ({"correctResponsesPattern": ["{case_matters=false}{lang=en}Bob's your uncle"]},
                "Bob's your uncle"),
    "long-fill-in": ({"correctResponsesPattern": ["{order_matters=false}{lang=en-US}"
                                                  "Long answer[,]second part"]},
                     "a long essay " * 20),
    "likert": ({"correctResponsesPattern": ["likert_3"], "scale": [
        {"id": "likert_0", "description": {"en-US": "It's OK"}},
        {"id": "likert_3", "description": {"en-US": "It's Gonna Change the World"}}]},
        "likert_3"),
    "matching": ({"correctResponsesPattern": ["ben[.]3[,]chris[.]2"],
                  "source": [{"id": "ben", "description": {"en-US": "Ben"}},
                             {"id": "chris", "description": {"en-US": "Chris"}}],
                  "target": [{"id": "2", "description": {"en-US": "Swift"}},
                             {"id": "3", "description": {"en-US": "Python"}}]},
                 "ben[.]3[,]chris[.]2"),
    "performance": ({"correctResponsesPattern": ["pong[.]1:[,]dg[.]:10"], "steps": [
        {"id": "pong", "description": {"en-US": "Net pong"}},
        {"id": "dg", "description": {"en-US": "Duck hunt"}}]}, "pong[.]1:[,]dg[.]:10"),
    "sequencing": ({"correctResponsesPattern": ["tim[,]mike"], "choices": [
        {"id": "tim", "description": {"en-US": "Tim"}},
        {"id": "mike", "description": {"en-US": "Mike"}}]}, "tim[,]mike"),
    "numeric": ({"correctResponsesPattern": ["4[:]"]}, "4"),
    "other": ({"correctResponsesPattern": ["(35.937432,-86.868896)"]}, "(35.9,-86.8)"),
}
for itype, (extra, resp) in INTERACTIONS.items():
    d = {"name": {"en-US": itype + " question"}, "description": {"en-US": "Question"},
         "type": "http://adlnet.gov/expapi/activities/cmi.interaction",
         "interactionType": itype}
    d.update(extra)
    v("interaction-" + itype,
      stmt(LEARNER, "http://adlnet.gov/expapi/verbs/answered", "answered",
           {"objectType": "Activity", "id": COURSE + "/q/" + itype, "definition": d},
           result={"response": resp, "success": True}, context=SCORM_CTX))
v("interaction-empty-crp", stmt(LEARNER, "http://adlnet.gov/expapi/verbs/answered", "answered",
                                {"id": COURSE + "/q/survey", "definition": {
                                    "interactionType": "choice", "correctResponsesPattern": [],
                                    "choices": []}}))
v("anonymous-group-actor", stmt({"objectType": "Group", "member": [
    {"mbox": "mailto:a@example.com"}, {"openid": "https://id.example.com/b"},
    {"account": {"homePage": "https://lms.example.com", "name": "c"}}]},
    "http://adlnet.gov/expapi/verbs/attended", "attended", {"id": COURSE}))
v("group-as-object", stmt(ACTOR, "http://example.com/verbs/joined", "joined",
                          {"objectType": "Group", "name": "Cohort 3",
                           "mbox_sha1sum": "ebd31e95054c018b10727ccffd2ef2ec3a016ee9"}))
v("agent-as-object-openid", stmt(ACTOR, "http://example.com/verbs/mentored", "mentored",
                                 {"objectType": "Agent", "openid": "https://openid.example.com/b"},
                                 context={"contextActivities": {"grouping": [
                                     {"id": "http://example.adlnet.gov/xapi/example/Algebra1"}]},
                                     "instructor": {"objectType": "Group", "member": [
                                         {"mbox": "mailto:t1@example.com"}]}}))
v("statementref-comment", {"actor": {"objectType": "Agent", "mbox": "mailto:test@example.com"},
                           "verb": {"id": "http://example.com/commented",
                                    "display": {"en-US": "commented"}},
                           "object": {"objectType": "StatementRef", "id": UUID1},
                           "result": {"response": "Wow, nice work!"}})
v("attachments-metadata", stmt(ACTOR, "http://example.com/verbs/uploaded", "uploaded",
                               {"id": "http://example.com/essay"}, attachments=[
                                   {"usageType": "http://id.tincanapi.com/attachment/certificate",
                                    "display": {"en-US": "Certificate", "de": "Urkunde"},
                                    "contentType": "application/pdf; name=cert.pdf",
                                    "length": 0, "sha2": SHA},
                                   {"usageType": "http://example.com/usage/essay",
                                    "display": {"en": "Essay"},
                                    "contentType": "text/plain", "length": 12,
                                    "sha2": "a" * 128, "fileUrl": "https://example.com/e.txt"}]))
v("extensions-with-nulls", stmt(ACTOR, "http://example.com/verbs/did", "did",
                                {"id": "http://example.com/act", "definition": {"extensions": {
                                    "http://example.com/ext/a": None,
                                    "urn:example:ext:b": {"nested": [None, 1, "x", {"k": None}]}}}},
                                result={"extensions": {"http://example.com/ext/r": None}},
                                context={"extensions": {"http://example.com/ext/c": [None]}}))
v("context-single-activity", stmt(ACTOR, "http://example.com/verbs/did", "did",
                                  {"id": "http://example.com/act"},
                                  context={"contextActivities": {
                                      "parent": {"id": "http://example.com/parent"},
                                      "other": {"objectType": "Activity",
                                                "id": "http://example.com/o"}}}))
v("lrs-stored-form", dict(BASE, version="1.0.3", timestamp="2024-03-01T15:30:00.123456+05:30"))
v("language-tags", stmt(ACTOR, "http://example.com/verbs/read", "read",
                        {"id": "http://example.com/book", "definition": {
                            "name": {"zh-Hant-TW": "書", "sr-Latn-RS": "knjiga", "es-419": "libro",
                                     "de-CH-1901": "Buch", "en-GB-oed": "book",
                                     "x-klingon": "paq", "i-klingon": "paq", "und": "?"},
                            "description": {"en-a-bbb-x-a-ccc": "d", "sgn-BE-FR": "d",
                                            "hy-Latn-IT-arevela": "d"}}},
                        context={"language": "pt-BR"}))
v("unicode-names", stmt({"name": "Zoë 🦉 Ωμέγα", "mbox": "mailto:zoe+tag@example.com"},
                        "http://example.com/فعل/خواندن", "read",
                        {"id": "http://例え.jp/活動", "definition": {"name": {"ja": "活動 😀"}}}))
v("durations", stmt(ACTOR, "http://example.com/verbs/studied", "studied",
                    {"id": "http://example.com/degree"},
                    result={"duration": "P3Y1M29DT4H35M59.14S"}))
v("duration-weeks", stmt(ACTOR, "http://example.com/verbs/studied", "studied",
                         {"id": "http://example.com/degree"}, result={"duration": "P4W"}))
v("duration-seconds-only", stmt(ACTOR, "http://example.com/verbs/studied", "studied",
                                {"id": "http://example.com/x"},
                                result={"duration": "PT16559.1423S"}))
v("score-bounds", stmt(ACTOR, "http://example.com/verbs/scored", "scored",
                       {"id": "http://example.com/x"},
                       result={"score": {"scaled": -1, "raw": 5, "min": 5, "max": 5}}))
v("uppercase-uuid-id", stmt(ACTOR, "http://example.com/verbs/did", "did",
                            {"id": "urn:uuid:0d6c5a60-7d59-4f2e-8f6a-1c2b3d4e5f60"},
                            id="FD41C918-B88B-4B20-A0A5-A4C32391AAA0"))
v("context-everything-agent-object",
  stmt(ACTOR, "http://example.com/verbs/coached", "coached",
       {"objectType": "Agent", "mbox": "mailto:coachee@example.com"},
       context={"registration": REG, "instructor": ACTOR,
                "team": {"objectType": "Group", "mbox": "mailto:team@example.com"},
                "language": "en", "statement": {"objectType": "StatementRef", "id": UUID2},
                "contextActivities": {"other": []}}))
v("verb-no-display", {"actor": {"mbox_sha1sum": "EBD31E95054C018B10727CCFFD2EF2EC3A016EE9"},
                      "verb": {"id": "urn:x-verb:did"},
                      "object": {"id": "tag:example.com,2024:act"}})
v("empty-objects-allowed", stmt(ACTOR, "http://example.com/verbs/did", "did",
                                {"id": "http://example.com/x", "definition": {}},
                                result={}, context={"extensions": {}}))
v("version-prerelease", dict(REF, version="1.0.2"))
v("timestamp-offsets", dict(REF, timestamp="2024-03-01T10:00:00.1+0100",
                            stored="2024-03-01T09:00:00.100Z"))
v("substatement-with-agent-object",
  {"actor": ACTOR, "verb": {"id": "http://example.com/verbs/expected"},
   "object": {"objectType": "SubStatement", "actor": ACTOR,
              "verb": {"id": "http://example.com/verbs/meet"},
              "object": {"objectType": "Agent", "mbox": "mailto:x@example.com"},
              "attachments": [{"usageType": "http://example.com/u", "display": {"en": "x"},
                               "contentType": "text/plain", "length": 1, "sha2": SHA}]}})
v("mailto-plus-and-subdomain", stmt({"mbox": "mailto:first.last+lrs@mail.Example.CO.uk"},
                                    "http://example.com/verbs/did", "did",
                                    {"id": "https://example.com:8443/a?b=c#d"}))


def main():
    vdir = os.path.join(HERE, "valid")
    idir = os.path.join(HERE, "invalid")
    for d in (vdir, idir):
        shutil.rmtree(d, ignore_errors=True)
        os.makedirs(d)
    for i, (name, s) in enumerate(valid, 1):
        with open(os.path.join(vdir, "%03d-%s.json" % (i, name)), "w", encoding="utf-8") as f:
            json.dump(s, f, indent=2, ensure_ascii=False)
            f.write("\n")
    names = set()
    rows = ["file\texpected_path\tsection\twhat"]
    for i, (name, body, path, sec, what) in enumerate(invalid, 1):
        fn = "%03d-%s.json" % (i, name)
        assert fn not in names
        names.add(fn)
        data = body if isinstance(body, bytes) else \
            json.dumps(body, indent=2, ensure_ascii=False).encode("utf-8")
        with open(os.path.join(idir, fn), "wb") as f:
            f.write(data)
        rows.append("\t".join([fn, path, sec, what.replace("\t", " ").replace("\n", "\\n")]))
    with open(os.path.join(idir, "INDEX.tsv"), "w", encoding="utf-8") as f:
        f.write("\n".join(rows) + "\n")
    print("valid: %d, invalid: %d" % (len(valid), len(invalid)))


if __name__ == "__main__":
    main()
