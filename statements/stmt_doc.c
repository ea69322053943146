/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Document store of the State, Activity Profile and Agent Profile resources (xAPI 1.0.3
 * Communication 2.2-2.7) with the optimistic concurrency rules of Comm 3.1.
 *
 * Key in table "docs": kind (1 byte) + SHA-256 of the context (32) + SHA-256 of the document id
 * (32), so every key has the same 65 bytes whatever the length of the IRIs, and the documents of
 * one context are adjacent (a prefix scan lists them). The record keeps the full context and id,
 * compared on every read, so a hash collision can never hand out another client's document:
 *
 *   u8 version (1) | u64 updated_us (LE) | 40 hex SHA-1 | u32 ctxlen | u32 idlen | u32 ctypelen |
 *   u32 len | context | id | content type | content
 *
 * Each change reads, checks and writes inside one LMDB write transaction (LMDB serialises
 * writers), so a precondition is evaluated against the document the write replaces.
 */
#include "statements/stmt_doc.h"
#include "common/sc_alloc.h"
#include "common/sc_buf.h"
#include "common/sc_rand.h"

#include <string.h>
#include <strings.h>

#define DOC_TABLE "docs"
#define REC_VERSION 1
#define REC_HEAD (1 + 8 + 40 + 16)
#define KEY_LEN 65
#define PREFIX_LEN 33
#define WRITE_ATTEMPTS 8

const char *stmt_doc_strerror(int code)
{
    switch (code) {
    case STMT_DOC_OK:
        return "ok";
    case STMT_DOC_ERR_NOTFOUND:
        return "document not found";
    case STMT_DOC_ERR_PRECONDITION:
        return "precondition failed";
    case STMT_DOC_ERR_CONFLICT:
        return "document exists and neither If-Match nor If-None-Match was given";
    case STMT_DOC_ERR_MERGE:
        return "documents cannot be merged";
    case STMT_DOC_ERR_TOO_LARGE:
        return "document too large";
    case STMT_DOC_ERR_ARG:
        return "invalid argument";
    case STMT_DOC_ERR_NOMEM:
        return "out of memory";
    case STMT_DOC_ERR_FULL:
        return "storage full";
    case STMT_DOC_ERR_IO:
        return "storage I/O error";
    case STMT_DOC_ERR_CORRUPT:
        return "stored document record is corrupt";
    case STMT_DOC_ERR_NO_HEADER:
        return "If-Match or If-None-Match required";
    default:
        return "unknown document store error";
    }
}

void stmt_doc_free(struct stmt_doc *d)
{
    if (!d)
        return;
    sc_free(d->content);
    sc_free(d->content_type);
    memset(d, 0, sizeof *d);
}

static int db_err(int rc)
{
    switch (rc) {
    case STMT_DB_OK:
        return STMT_DOC_OK;
    case STMT_DB_NOTFOUND:
        return STMT_DOC_ERR_NOTFOUND;
    case STMT_DB_ERR_NOMEM:
        return STMT_DOC_ERR_NOMEM;
    case STMT_DB_ERR_FULL:
        return STMT_DOC_ERR_FULL;
    default:
        return STMT_DOC_ERR_IO;
    }
}

/* ---- keys and records ------------------------------------------------------------------ */

static int put_field(struct sc_buf *b, const char *s)
{
    size_t n = s ? strlen(s) : 0;
    unsigned char len[4] = {(unsigned char)n, (unsigned char)(n >> 8), (unsigned char)(n >> 16),
                            (unsigned char)(n >> 24)};
    if (sc_buf_append(b, len, 4))
        return -1;
    return n ? sc_buf_append(b, s, n) : 0;
}

/* The context as one unambiguous byte string: kind, then each field length-prefixed. */
static int ctx_encode(const struct stmt_doc_ctx *ctx, struct sc_buf *b)
{
    char kind = (char)ctx->kind;
    switch (ctx->kind) {
    case STMT_DOC_STATE:
        if (!ctx->activity_id || !ctx->agent_ifi)
            return STMT_DOC_ERR_ARG;
        break;
    case STMT_DOC_ACTIVITY_PROFILE:
        if (!ctx->activity_id || ctx->agent_ifi || ctx->registration)
            return STMT_DOC_ERR_ARG;
        break;
    case STMT_DOC_AGENT_PROFILE:
        if (!ctx->agent_ifi || ctx->activity_id || ctx->registration)
            return STMT_DOC_ERR_ARG;
        break;
    default:
        return STMT_DOC_ERR_ARG;
    }
    if (sc_buf_append(b, &kind, 1) || put_field(b, ctx->activity_id) ||
        put_field(b, ctx->agent_ifi) || put_field(b, ctx->registration))
        return STMT_DOC_ERR_NOMEM;
    return STMT_DOC_OK;
}

/* Decoded record: every pointer borrows the LMDB value. */
struct rec {
    int64_t updated_us;
    const char *hex; /* 40 chars */
    const char *ctx, *id, *ctype, *content;
    size_t ctxlen, idlen, ctypelen, len;
};

static uint32_t rd32(const unsigned char *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static int rec_decode(const void *val, size_t vlen, struct rec *r)
{
    const unsigned char *p = val;
    uint64_t u = 0;
    size_t total;
    if (vlen < REC_HEAD || p[0] != REC_VERSION)
        return STMT_DOC_ERR_CORRUPT;
    for (int i = 0; i < 8; i++)
        u |= (uint64_t)p[1 + i] << (8 * i);
    r->updated_us = (int64_t)u;
    r->hex = (const char *)p + 9;
    r->ctxlen = rd32(p + 49);
    r->idlen = rd32(p + 53);
    r->ctypelen = rd32(p + 57);
    r->len = rd32(p + 61);
    total = REC_HEAD + r->ctxlen + r->idlen + r->ctypelen + r->len;
    if (total != vlen)
        return STMT_DOC_ERR_CORRUPT;
    r->ctx = (const char *)p + REC_HEAD;
    r->id = r->ctx + r->ctxlen;
    r->ctype = r->id + r->idlen;
    r->content = r->ctype + r->ctypelen;
    return STMT_DOC_OK;
}

static int rec_encode(struct sc_buf *out, const struct sc_buf *ctx, const char *id,
                      const char *ctype, const void *content, size_t len, int64_t now_us)
{
    unsigned char head[REC_HEAD], sha[20];
    char hex[41];
    size_t lens[4] = {ctx->len, strlen(id), strlen(ctype), len};
    uint64_t u = (uint64_t)now_us;

    sc_sha1(content, len, sha);
    sc_hex(sha, sizeof sha, hex);
    head[0] = REC_VERSION;
    for (int i = 0; i < 8; i++)
        head[1 + i] = (unsigned char)(u >> (8 * i));
    memcpy(head + 9, hex, 40);
    for (int f = 0; f < 4; f++)
        for (int i = 0; i < 4; i++)
            head[49 + 4 * f + i] = (unsigned char)(lens[f] >> (8 * i));
    if (sc_buf_append(out, head, sizeof head) || sc_buf_append(out, ctx->data, ctx->len) ||
        sc_buf_append(out, id, lens[1]) || sc_buf_append(out, ctype, lens[2]) ||
        (len && sc_buf_append(out, content, len)))
        return STMT_DOC_ERR_NOMEM;
    return STMT_DOC_OK;
}

static void make_key(const struct sc_buf *ctx, const char *id, unsigned char key[KEY_LEN])
{
    key[0] = (unsigned char)ctx->data[0];
    sc_sha256(ctx->data, ctx->len, key + 1);
    if (id)
        sc_sha256(id, strlen(id), key + PREFIX_LEN);
}

/* A record read under key must carry this context and id, else it is a collision or damage. */
static int rec_matches(const struct rec *r, const struct sc_buf *ctx, const char *id)
{
    return r->ctxlen == ctx->len && !memcmp(r->ctx, ctx->data, ctx->len) &&
           (!id || (r->idlen == strlen(id) && !memcmp(r->id, id, r->idlen)));
}

static void quote_etag(const char *hex, char out[STMT_DOC_ETAG_LEN])
{
    out[0] = '"';
    memcpy(out + 1, hex, 40);
    out[41] = '"';
    out[42] = '\0';
}

/* ---- preconditions (Comm 3.1, RFC 2616 14.24 / 14.26) ---------------------------------- */

int stmt_doc_etag_listed(const char *hdr, const char *etag)
{
    const char *p = hdr;
    size_t elen;
    if (!hdr || !etag)
        return 0;
    elen = strlen(etag);
    while (*p) {
        const char *start, *end;
        while (*p == ' ' || *p == '\t' || *p == ',')
            p++;
        if (!*p)
            break;
        start = p;
        if (*p == '"') {
            end = strchr(p + 1, '"');
            end = end ? end + 1 : p + strlen(p);
        } else {
            end = p;
            while (*end && *end != ',')
                end++;
        }
        p = end;
        while (end > start && (end[-1] == ' ' || end[-1] == '\t'))
            end--;
        if (end - start == 1 && *start == '*')
            return 1;
        if (*start == 'W' && start[1] == '/')
            continue; /* a weak tag never matches strongly */
        if ((size_t)(end - start) == elen && !memcmp(start, etag, elen))
            return 1;
        /* a bare tag some clients send without the quotes */
        if (*start != '"' && elen >= 2 && (size_t)(end - start) == elen - 2 &&
            !memcmp(start, etag + 1, elen - 2))
            return 1;
    }
    return 0;
}

static int check_cond(const struct stmt_doc_cond *c, int exists, const char *etag)
{
    if (!c)
        return STMT_DOC_OK;
    /* RFC 2616 14.24: If-Match fails when there is no current entity or no tag matches */
    if (c->if_match && (!exists || !stmt_doc_etag_listed(c->if_match, etag)))
        return STMT_DOC_ERR_PRECONDITION;
    /* RFC 2616 14.26: "*" fails when any entity exists; a list fails when one matches */
    if (c->if_none_match && exists && stmt_doc_etag_listed(c->if_none_match, etag))
        return STMT_DOC_ERR_PRECONDITION;
    /* Comm 3.1: a PUT without either header to an existing profile document → 409 */
    if (c->require_header && !c->if_match && !c->if_none_match &&
        (exists || c->require_header == 1))
        return exists ? STMT_DOC_ERR_CONFLICT : STMT_DOC_ERR_NO_HEADER;
    return STMT_DOC_OK;
}

static int is_json_type(const char *ct, size_t n)
{
    static const char want[] = "application/json";
    size_t i = 0;
    while (i < n && (ct[i] == ' ' || ct[i] == '\t'))
        i++;
    if (n - i < sizeof want - 1 || strncasecmp(ct + i, want, sizeof want - 1))
        return 0;
    i += sizeof want - 1;
    while (i < n && (ct[i] == ' ' || ct[i] == '\t'))
        i++;
    return i == n || ct[i] == ';';
}

/* Comm 2.2 "JSON Procedure": top-level properties of the posted object replace the current
 * ones. On success *out is the owned serialisation of the merged object. */
static int merge_json(const struct rec *cur, const char *content, size_t len, const char *ctype,
                      char **out, struct stmt_diag *diag)
{
    cJSON *base = NULL, *add = NULL, *item;
    struct stmt_diag bd, ad;
    int rc = STMT_DOC_OK;

    if (!is_json_type(cur->ctype, cur->ctypelen) || !ctype || !is_json_type(ctype, strlen(ctype))) {
        rc = stmt__diag_set(diag, STMT_DOC_ERR_MERGE, "$",
                            "xAPI Comm 2.2: POST merges only when the stored and the posted "
                            "document are both application/json");
        goto out;
    }
    memset(&bd, 0, sizeof bd);
    memset(&ad, 0, sizeof ad);
    base = stmt_json_parse(cur->content, cur->len, NULL, &bd);
    add = base ? stmt_json_parse(content, len, NULL, &ad) : NULL;
    if ((!base && bd.code == STMT_ERR_NOMEM) || (base && !add && ad.code == STMT_ERR_NOMEM)) {
        rc = STMT_DOC_ERR_NOMEM;
        goto out;
    }
    if (!cJSON_IsObject(base) || !cJSON_IsObject(add)) {
        rc = stmt__diag_set(diag, STMT_DOC_ERR_MERGE, "$",
                            "xAPI Comm 2.2: POST merges only when the stored and the posted "
                            "documents are JSON objects (the %s one is not)",
                            cJSON_IsObject(base) ? "posted" : "stored");
        goto out;
    }
    while ((item = add->child) != NULL) {
        cJSON *cur = cJSON_GetObjectItemCaseSensitive(base, item->string);
        cJSON_DetachItemViaPointer(add, item);
        /* the item keeps its own key string (cJSON_ReplaceItemInObject would free it first) */
        if (cur) {
            cJSON_ReplaceItemViaPointer(base, cur, item);
        } else if (!cJSON_AddItemToObject(base, item->string, item)) {
            cJSON_Delete(item);
            rc = STMT_DOC_ERR_NOMEM;
            goto out;
        }
    }
    *out = cJSON_PrintUnformatted(base);
    if (!*out)
        rc = STMT_DOC_ERR_NOMEM;
out:
    cJSON_Delete(base);
    cJSON_Delete(add);
    return rc;
}

enum op { OP_PUT, OP_POST, OP_DELETE };

/* One attempt of a change, inside write transaction t. */
static int change_txn(struct stmt_db_txn *t, const struct sc_buf *ctxb, const char *id, enum op op,
                      const void *content, size_t len, const char *ctype,
                      const struct stmt_doc_cond *cond, size_t max_doc, int64_t now_us,
                      struct stmt_diag *diag)
{
    unsigned char key[KEY_LEN];
    const void *val;
    size_t vlen;
    struct rec cur;
    char etag[STMT_DOC_ETAG_LEN] = "";
    char *merged = NULL;
    struct sc_buf rec = SC_BUF_INIT;
    int exists, rc;

    make_key(ctxb, id, key);
    rc = stmt_db_get(t, DOC_TABLE, key, sizeof key, &val, &vlen);
    if (rc && rc != STMT_DB_NOTFOUND)
        return db_err(rc);
    exists = rc == STMT_DB_OK;
    if (exists) {
        rc = rec_decode(val, vlen, &cur);
        if (rc)
            return rc;
        if (!rec_matches(&cur, ctxb, id))
            return STMT_DOC_ERR_CORRUPT;
        quote_etag(cur.hex, etag);
    }
    rc = check_cond(cond, exists, etag);
    if (rc) {
        stmt__diag_set(diag, rc, "$", "%s",
                       rc == STMT_DOC_ERR_CONFLICT
                           ? "xAPI Comm 3.1: the document exists; GET it and send its ETag in "
                             "If-Match (or If-None-Match: * to create only)"
                       : rc == STMT_DOC_ERR_NO_HEADER
                           ? "xAPI Comm 3.1: a PUT to a profile resource must carry If-Match or "
                             "If-None-Match"
                           : "xAPI Comm 3.1: If-Match / If-None-Match precondition failed");
        return rc;
    }
    if (op == OP_DELETE) {
        if (!exists)
            return STMT_DOC_OK;
        return db_err(stmt_db_del(t, DOC_TABLE, key, sizeof key));
    }
    if (op == OP_POST && exists) {
        rc = merge_json(&cur, content, len, ctype, &merged, diag);
        if (rc)
            return rc;
        content = merged;
        len = strlen(merged);
        ctype = NULL; /* the stored type stays */
    }
    if (len > max_doc) {
        rc = stmt__diag_set(diag, STMT_DOC_ERR_TOO_LARGE, "$",
                            "document of %zu bytes exceeds the %zu-byte limit", len, max_doc);
        goto out;
    }
    {
        /* copy the stored type before the put invalidates cur */
        char *keep = NULL;
        if (!ctype && exists) {
            keep = sc_strndup(cur.ctype, cur.ctypelen);
            if (!keep) {
                rc = STMT_DOC_ERR_NOMEM;
                goto out;
            }
        }
        rc = rec_encode(&rec, ctxb, id, keep ? keep : (ctype ? ctype : "application/octet-stream"),
                        content, len, now_us);
        sc_free(keep);
    }
    if (rc)
        goto out;
    rc = db_err(stmt_db_put(t, DOC_TABLE, key, sizeof key, rec.data, rec.len, 0));
out:
    cJSON_free(merged);
    sc_buf_free(&rec);
    return rc;
}

static int change(struct stmt_db *db, const struct stmt_doc_ctx *ctx, const char *id, enum op op,
                  const void *content, size_t len, const char *ctype,
                  const struct stmt_doc_cond *cond, const struct stmt_doc_limits *lim,
                  int64_t now_us, struct stmt_diag *diag)
{
    struct sc_buf ctxb = SC_BUF_INIT;
    size_t max_doc = lim && lim->max_doc ? lim->max_doc : STMT_DOC_MAX_DEFAULT;
    int rc;

    if (!db || !ctx || !id || !*id || (op != OP_DELETE && !content && len))
        return stmt__diag_set(diag, STMT_DOC_ERR_ARG, "$", "document id missing");
    if (op != OP_DELETE && len > max_doc)
        return stmt__diag_set(diag, STMT_DOC_ERR_TOO_LARGE, "$",
                              "document of %zu bytes exceeds the %zu-byte limit", len, max_doc);
    if (op == OP_POST && ctype && is_json_type(ctype, strlen(ctype))) {
        /* Comm 2.2: a posted JSON document is merged as an object, so it must be one */
        struct stmt_diag jd;
        cJSON *j;
        int obj;
        memset(&jd, 0, sizeof jd);
        j = stmt_json_parse(content ? content : "", len, NULL, &jd);
        obj = cJSON_IsObject(j);
        cJSON_Delete(j);
        if (!j && jd.code == STMT_ERR_NOMEM)
            return stmt__diag_set(diag, STMT_DOC_ERR_NOMEM, "$", "out of memory");
        if (!obj)
            return stmt__diag_set(diag, STMT_DOC_ERR_MERGE, jd.path[0] ? jd.path : "$",
                                  "xAPI Comm 2.2: a POSTed application/json document must be a "
                                  "JSON object%s%s",
                                  jd.msg[0] ? ": " : "", jd.msg);
    }
    rc = ctx_encode(ctx, &ctxb);
    if (rc) {
        stmt__diag_set(diag, rc, "$", "document context incomplete for its resource");
        goto out;
    }
    for (int attempt = 0; attempt < WRITE_ATTEMPTS; attempt++) {
        struct stmt_db_txn *t;
        rc = db_err(stmt_db_txn_begin(db, 1, &t));
        if (rc)
            goto out;
        rc = change_txn(t, &ctxb, id, op, content ? content : "", len, ctype, cond, max_doc, now_us,
                        diag);
        if (rc) {
            stmt_db_txn_abort(t);
        } else {
            rc = db_err(stmt_db_txn_commit(t));
        }
        /* stmt_db.h: MDB_MAP_FULL marks the map for growth; the next write txn grows it */
        if (rc != STMT_DOC_ERR_FULL)
            break;
    }
out:
    sc_buf_free(&ctxb);
    return rc;
}

int stmt_doc_put(struct stmt_db *db, const struct stmt_doc_ctx *ctx, const char *id,
                 const void *content, size_t len, const char *content_type,
                 const struct stmt_doc_cond *cond, const struct stmt_doc_limits *lim,
                 int64_t now_us, struct stmt_diag *diag)
{
    return change(db, ctx, id, OP_PUT, content, len, content_type, cond, lim, now_us, diag);
}

int stmt_doc_put_txn(struct stmt_db_txn *t, const struct stmt_doc_ctx *ctx, const char *id,
                     const void *content, size_t len, const char *content_type,
                     const struct stmt_doc_cond *cond, const struct stmt_doc_limits *lim,
                     int64_t now_us, struct stmt_diag *diag)
{
    struct sc_buf ctxb = SC_BUF_INIT;
    size_t max_doc = lim && lim->max_doc ? lim->max_doc : STMT_DOC_MAX_DEFAULT;
    int rc;
    if (!t || !ctx || !id || !*id || (!content && len))
        return stmt__diag_set(diag, STMT_DOC_ERR_ARG, "$", "document id missing");
    rc = ctx_encode(ctx, &ctxb);
    if (rc)
        stmt__diag_set(diag, rc, "$", "document context incomplete for its resource");
    else
        rc = change_txn(t, &ctxb, id, OP_PUT, content ? content : "", len, content_type, cond,
                        max_doc, now_us, diag);
    sc_buf_free(&ctxb);
    return rc;
}

int stmt_doc_post(struct stmt_db *db, const struct stmt_doc_ctx *ctx, const char *id,
                  const void *content, size_t len, const char *content_type,
                  const struct stmt_doc_cond *cond, const struct stmt_doc_limits *lim,
                  int64_t now_us, struct stmt_diag *diag)
{
    return change(db, ctx, id, OP_POST, content, len, content_type, cond, lim, now_us, diag);
}

int stmt_doc_delete(struct stmt_db *db, const struct stmt_doc_ctx *ctx, const char *id,
                    const struct stmt_doc_cond *cond)
{
    return change(db, ctx, id, OP_DELETE, NULL, 0, NULL, cond, NULL, 0, NULL);
}

int stmt_doc_get(struct stmt_db *db, const struct stmt_doc_ctx *ctx, const char *id,
                 struct stmt_doc *out)
{
    struct sc_buf ctxb = SC_BUF_INIT;
    struct stmt_db_txn *t = NULL;
    unsigned char key[KEY_LEN];
    const void *val;
    size_t vlen;
    struct rec r;
    struct stmt_doc d;
    int rc;

    memset(&d, 0, sizeof d);
    if (!db || !ctx || !id || !out)
        return STMT_DOC_ERR_ARG;
    rc = ctx_encode(ctx, &ctxb);
    if (rc)
        goto out;
    make_key(&ctxb, id, key);
    rc = db_err(stmt_db_txn_begin(db, 0, &t));
    if (rc)
        goto out;
    rc = db_err(stmt_db_get(t, DOC_TABLE, key, sizeof key, &val, &vlen));
    if (rc)
        goto out;
    rc = rec_decode(val, vlen, &r);
    if (rc)
        goto out;
    if (!rec_matches(&r, &ctxb, id)) {
        rc = STMT_DOC_ERR_CORRUPT;
        goto out;
    }
    d.content = sc_strndup(r.content, r.len);
    d.content_type = sc_strndup(r.ctype, r.ctypelen);
    if (!d.content || !d.content_type) {
        rc = STMT_DOC_ERR_NOMEM;
        goto out;
    }
    d.len = r.len;
    d.updated_us = r.updated_us;
    quote_etag(r.hex, d.etag);
    *out = d;
    memset(&d, 0, sizeof d);
out:
    stmt_db_txn_abort(t);
    stmt_doc_free(&d);
    sc_buf_free(&ctxb);
    return rc;
}

struct list_ctx {
    const unsigned char *prefix;
    const struct sc_buf *ctxb;
    int64_t since_us;
    int64_t newest_us;
    cJSON *ids;
    struct sc_buf keys; /* for delete_all: the keys to remove */
    int collect_keys;
    int rc;
};

static int list_visit(void *vctx, const void *key, size_t klen, const void *val, size_t vlen)
{
    struct list_ctx *lc = vctx;
    struct rec r;
    if (klen != KEY_LEN || memcmp(key, lc->prefix, PREFIX_LEN))
        return 1; /* past the context */
    if (rec_decode(val, vlen, &r) || !rec_matches(&r, lc->ctxb, NULL))
        return 0; /* another context sharing the hash prefix cannot happen; skip damage */
    if (lc->collect_keys) {
        if (sc_buf_append(&lc->keys, key, klen)) {
            lc->rc = STMT_DOC_ERR_NOMEM;
            return 1;
        }
        return 0;
    }
    /* Comm 2.3 "Multiple Document GET": since is exclusive */
    if (lc->since_us && r.updated_us <= lc->since_us)
        return 0;
    {
        char *id = sc_strndup(r.id, r.idlen);
        cJSON *s = id ? cJSON_CreateString(id) : NULL;
        sc_free(id);
        if (!s) {
            lc->rc = STMT_DOC_ERR_NOMEM;
            return 1;
        }
        cJSON_AddItemToArray(lc->ids, s); /* appending to an array allocates nothing */
    }
    if (r.updated_us > lc->newest_us)
        lc->newest_us = r.updated_us;
    return 0;
}

int stmt_doc_list(struct stmt_db *db, const struct stmt_doc_ctx *ctx, int64_t since_us, cJSON **out,
                  int64_t *newest_us)
{
    struct sc_buf ctxb = SC_BUF_INIT;
    struct stmt_db_txn *t = NULL;
    unsigned char prefix[KEY_LEN];
    struct list_ctx lc;
    int rc;

    memset(&lc, 0, sizeof lc);
    if (!db || !ctx || !out)
        return STMT_DOC_ERR_ARG;
    rc = ctx_encode(ctx, &ctxb);
    if (rc)
        goto out;
    make_key(&ctxb, NULL, prefix);
    lc.prefix = prefix;
    lc.ctxb = &ctxb;
    lc.since_us = since_us;
    lc.ids = cJSON_CreateArray();
    if (!lc.ids) {
        rc = STMT_DOC_ERR_NOMEM;
        goto out;
    }
    rc = db_err(stmt_db_txn_begin(db, 0, &t));
    if (rc)
        goto out;
    rc = stmt_db_scan(t, DOC_TABLE, prefix, PREFIX_LEN, list_visit, &lc);
    rc = lc.rc ? lc.rc : (rc < 0 ? db_err(rc) : STMT_DOC_OK);
    if (rc)
        goto out;
    *out = lc.ids;
    lc.ids = NULL;
    if (newest_us)
        *newest_us = lc.newest_us;
out:
    stmt_db_txn_abort(t);
    cJSON_Delete(lc.ids);
    sc_buf_free(&ctxb);
    return rc;
}

int stmt_doc_delete_all(struct stmt_db *db, const struct stmt_doc_ctx *ctx, size_t *ndeleted)
{
    struct sc_buf ctxb = SC_BUF_INIT;
    unsigned char prefix[KEY_LEN];
    int rc;

    if (!db || !ctx)
        return STMT_DOC_ERR_ARG;
    rc = ctx_encode(ctx, &ctxb);
    if (rc)
        goto out;
    make_key(&ctxb, NULL, prefix);
    for (int attempt = 0; attempt < WRITE_ATTEMPTS; attempt++) {
        struct stmt_db_txn *t;
        struct list_ctx lc;
        size_t n = 0;
        memset(&lc, 0, sizeof lc);
        lc.prefix = prefix;
        lc.ctxb = &ctxb;
        lc.collect_keys = 1;
        rc = db_err(stmt_db_txn_begin(db, 1, &t));
        if (rc)
            goto out;
        rc = stmt_db_scan(t, DOC_TABLE, prefix, PREFIX_LEN, list_visit, &lc);
        rc = lc.rc ? lc.rc : (rc < 0 ? db_err(rc) : STMT_DOC_OK);
        for (size_t off = 0; !rc && off < lc.keys.len; off += KEY_LEN, n++)
            rc = db_err(stmt_db_del(t, DOC_TABLE, lc.keys.data + off, KEY_LEN));
        sc_buf_free(&lc.keys);
        if (rc)
            stmt_db_txn_abort(t);
        else
            rc = db_err(stmt_db_txn_commit(t));
        if (!rc && ndeleted)
            *ndeleted = n;
        if (rc != STMT_DOC_ERR_FULL)
            break;
    }
out:
    sc_buf_free(&ctxb);
    return rc;
}
