/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Credentials: creation, listing, revocation, HTTP Basic verification and scopes.
 *
 * Secrets are random (32 bytes) and stored only as a salted PBKDF2-HMAC-SHA-256 hash (issue 2:
 * "salted, slow hash"). To keep the slow hash off the hot path, a successful verification is
 * remembered in memory as HMAC(process key, key ‖ 0 ‖ secret ‖ 0 ‖ stored salt ‖ stored hash).
 * The record is read from the store on every request anyway (its scopes, its revoked flag), so
 * an entry is only ever used against the record it was verified against: a credential revoked,
 * deleted or given another secret in the store (by this process, another node on the same
 * PostgreSQL database, or a restore) is refused at its next request on every node, with no
 * cross-node message and no version row (issue 19 step 4). The cache is also flushed on a
 * revocation here. Basic credentials are split on the first colon only (RFC 7617 2).
 */
#include "lrs/lrs.h"
#include "lrs/lrs_fails.h"
#include "common/sc_alloc.h"
#include "common/sc_rand.h"
#include "common/sc_time.h"

#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#define PBKDF2_ITER 20000
#define CACHE_SLOTS 256

static const struct {
    const char *name;
    unsigned bit;
} SCOPES[] = {
    {"statements/write", LRS_SCOPE_STATEMENTS_WRITE},
    {"statements/read", LRS_SCOPE_STATEMENTS_READ},
    {"statements/read/mine", LRS_SCOPE_STATEMENTS_READ_MINE},
    {"all/read", LRS_SCOPE_ALL_READ},
    {"all", LRS_SCOPE_ALL},
    {"state", LRS_SCOPE_STATE},
    {"define", LRS_SCOPE_DEFINE},
    {"profile", LRS_SCOPE_PROFILE},
    {"admin", LRS_SCOPE_ADMIN},
};

int lrs_scopes_parse(const char *s, unsigned *out, char *err, size_t errlen)
{
    unsigned bits = 0;
    const char *p = s;
    while (p && *p) {
        const char *comma = strchr(p, ',');
        size_t n = comma ? (size_t)(comma - p) : strlen(p);
        int found = 0;
        for (size_t i = 0; i < sizeof SCOPES / sizeof SCOPES[0]; i++) {
            if (strlen(SCOPES[i].name) == n && !strncmp(SCOPES[i].name, p, n)) {
                bits |= SCOPES[i].bit;
                found = 1;
            }
        }
        if (!found) {
            snprintf(err, errlen,
                     "unknown scope '%.*s' (known: all, all/read, statements/write, "
                     "statements/read, statements/read/mine, state, define, profile, admin)",
                     (int)n, p);
            return -1;
        }
        p = comma ? comma + 1 : NULL;
    }
    if (!bits) {
        snprintf(err, errlen, "no scopes given");
        return -1;
    }
    *out = bits;
    return 0;
}

cJSON *lrs_scopes_json(unsigned scopes)
{
    cJSON *a = cJSON_CreateArray();
    for (size_t i = 0; a && i < sizeof SCOPES / sizeof SCOPES[0]; i++) {
        cJSON *s;
        if (!(scopes & SCOPES[i].bit))
            continue;
        s = cJSON_CreateString(SCOPES[i].name);
        if (!s || !cJSON_AddItemToArray(a, s)) { /* never a list with a scope left out */
            cJSON_Delete(s);
            cJSON_Delete(a);
            return NULL;
        }
    }
    return a;
}

static unsigned scopes_from_json(const cJSON *a)
{
    unsigned bits = 0;
    const cJSON *e;
    cJSON_ArrayForEach(e, a)
    {
        for (size_t i = 0; cJSON_IsString(e) && i < sizeof SCOPES / sizeof SCOPES[0]; i++)
            if (!strcmp(SCOPES[i].name, e->valuestring))
                bits |= SCOPES[i].bit;
    }
    return bits;
}

/* ---- verification cache ---------------------------------------------------------------- */

static pthread_mutex_t cache_lock = PTHREAD_MUTEX_INITIALIZER;
static unsigned char cache_key[32];
static int cache_key_set;
static struct {
    unsigned char mac[32];
    int used;
} cache[CACHE_SLOTS];

/* HMAC(process key, key ‖ 0 ‖ secret ‖ 0 ‖ stored, the record's salt and hash in hex), without
 * allocating: an allocation failure must not turn every credential into the same cache entry
 * (issue 15). Key and secret are bounded by the caller (64 and 255 bytes), stored is cut at
 * 97 bytes (32 + 1 + 64). */
static void cache_mac(const char *key, const char *secret, const char *stored,
                      unsigned char mac[32])
{
    char msg[64 + 1 + 256 + 1 + 97];
    size_t kl = strlen(key), sl = strlen(secret), tl = strnlen(stored, 97);
    memcpy(msg, key, kl);
    msg[kl] = '\0';
    memcpy(msg + kl + 1, secret, sl);
    msg[kl + 1 + sl] = '\0';
    memcpy(msg + kl + 2 + sl, stored, tl);
    sc_hmac_sha256(cache_key, sizeof cache_key, msg, kl + 2 + sl + tl, mac);
}

/* 1 when this key and secret were verified before against the stored salt and hash `stored`.
 * Without a process key (the random source failed) nothing is cached and every verification
 * runs the slow hash. */
static int cache_hit(const char *key, const char *secret, const char *stored)
{
    unsigned char mac[32];
    int hit = 0;
    pthread_mutex_lock(&cache_lock);
    if (!cache_key_set && sc_random_bytes(cache_key, sizeof cache_key) == 0)
        cache_key_set = 1;
    if (cache_key_set) {
        cache_mac(key, secret, stored, mac);
        size_t slot = (size_t)(mac[0] | mac[1] << 8) % CACHE_SLOTS;
        hit = cache[slot].used && sc_ct_equal(cache[slot].mac, mac, 32);
    }
    pthread_mutex_unlock(&cache_lock);
    return hit;
}

static void cache_put(const char *key, const char *secret, const char *stored)
{
    unsigned char mac[32];
    pthread_mutex_lock(&cache_lock);
    if (cache_key_set) {
        cache_mac(key, secret, stored, mac);
        size_t slot = (size_t)(mac[0] | mac[1] << 8) % CACHE_SLOTS;
        memcpy(cache[slot].mac, mac, 32);
        cache[slot].used = 1;
    }
    pthread_mutex_unlock(&cache_lock);
}

/* ---- failed verifications: a budget per client address and per key ----------------------- */

/*
 * Every wrong secret costs a PBKDF2 run (5-10 ms of a core), so guessing was also a cheap way
 * to load the server (issue 15, low). Each client address and each key has a bucket of
 * AUTH_BURST failures that refills at AUTH_REFILL_PER_S; a verification whose address or key
 * has an empty bucket is refused without running the hash (LRS_AUTH_THROTTLED: 429), unless
 * the key and secret are in the cache of verified ones, so a client that knows its secret
 * keeps working while someone guesses at its key. Buckets live in a fixed table indexed by a
 * keyed hash; a collision shares or resets a bucket, which only loosens the limit. On
 * PostgreSQL the buckets are rows of the store instead, shared by every node (lrs_fails.h,
 * wall-clock times), so N nodes allow what one allows.
 */
#define AUTH_BURST 20.0
#define AUTH_REFILL_PER_S 2.0
#define AUTH_SLOTS 4096
static struct {
    unsigned char tag[8];
    double tokens;
    int64_t at_us;
} buckets[AUTH_SLOTS];
static pthread_mutex_t bucket_lock = PTHREAD_MUTEX_INITIALIZER;

static size_t bucket_of(const char *kind, const char *name, unsigned char tag[8])
{
    unsigned char mac[32];
    char msg[300];
    int n = snprintf(msg, sizeof msg, "%s\n%s", kind, name);
    if (n < 0 || (size_t)n >= sizeof msg)
        n = (int)sizeof msg - 1;
    sc_hmac_sha256(cache_key, sizeof cache_key, msg, (size_t)n, mac);
    memcpy(tag, mac + 2, 8);
    return (size_t)(mac[0] | mac[1] << 8) % AUTH_SLOTS;
}

/* The tokens of one bucket now (refilled), creating it full when absent. bucket_lock held. */
static double *bucket_tokens(const char *kind, const char *name)
{
    unsigned char tag[8];
    size_t i = bucket_of(kind, name, tag);
    int64_t now = sc_time_mono_us();
    if (memcmp(buckets[i].tag, tag, 8) != 0) {
        memcpy(buckets[i].tag, tag, 8);
        buckets[i].tokens = AUTH_BURST;
    } else {
        buckets[i].tokens += (double)(now - buckets[i].at_us) / 1e6 * AUTH_REFILL_PER_S;
        if (buckets[i].tokens > AUTH_BURST)
            buckets[i].tokens = AUTH_BURST;
    }
    buckets[i].at_us = now;
    return &buckets[i].tokens;
}

/* Both buckets' names for the rows of a PostgreSQL store (lrs_fails.h), shared by its nodes. */
static void shared_names(const char *addr, const char *key, char a[300], char k[300],
                         const char *names[2])
{
    snprintf(a, 300, "a:%s", addr ? addr : "");
    snprintf(k, 300, "n:%s", key ? key : "");
    names[0] = addr ? a : NULL;
    names[1] = key ? k : NULL;
}

/* 1 when the address or the key has no token left, 0, or LRS_AUTH_UNAVAILABLE. */
static int auth_throttled(struct stmt_db *db, const char *addr, const char *key)
{
    int t = 0;
    if (lrs__fails_shared(db)) {
        char a[300], k[300];
        const char *names[2];
        shared_names(addr, key, a, k, names);
        if (lrs__fails_bucket_low(db, names, AUTH_BURST, AUTH_REFILL_PER_S, sc_time_now_us(), &t))
            return LRS_AUTH_UNAVAILABLE;
        return t;
    }
    pthread_mutex_lock(&bucket_lock);
    if (addr && *bucket_tokens("addr", addr) < 1.0)
        t = 1;
    if (key && *bucket_tokens("key", key) < 1.0)
        t = 1;
    pthread_mutex_unlock(&bucket_lock);
    return t;
}

static void auth_failed(struct stmt_db *db, const char *addr, const char *key)
{
    if (lrs__fails_shared(db)) {
        char a[300], k[300];
        const char *names[2];
        int rc;
        shared_names(addr, key, a, k, names);
        rc = lrs__fails_bucket_take(db, names, AUTH_BURST, AUTH_REFILL_PER_S, sc_time_now_us());
        if (rc)
            lrs_log(LRS_LOG_WARN, "a failed verification was not counted: %s",
                    stmt_db_strerror(rc));
        return;
    }
    pthread_mutex_lock(&bucket_lock);
    if (addr)
        *bucket_tokens("addr", addr) -= 1.0;
    if (key)
        *bucket_tokens("key", key) -= 1.0;
    pthread_mutex_unlock(&bucket_lock);
}

void lrs_auth_cache_flush(void)
{
    pthread_mutex_lock(&cache_lock);
    memset(cache, 0, sizeof cache);
    pthread_mutex_unlock(&cache_lock);
}

/* ---- records --------------------------------------------------------------------------- */

static int valid_token(const char *s, size_t min, size_t max)
{
    size_t n = strlen(s);
    if (n < min || n > max)
        return 0;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c <= 0x20 || c >= 0x7f || (c == ':' && min))
            return 0;
    }
    return 1;
}

int lrs_cred_create(struct stmt_db *db, const char *name, unsigned scopes, const char *key,
                    const char *secret, char *key_out, size_t keylen, char *secret_out,
                    size_t secretlen)
{
    unsigned char rnd[32], salt[16], hash[32];
    char k[80], s[80], hx[65], ts[SC_TIME_ISO_LEN];
    cJSON *rec = NULL, *auth = NULL, *acct;
    char *json = NULL;
    long fails0;
    int rc = -1;

    if (key) {
        if (!valid_token(key, 1, 64))
            return -2;
        snprintf(k, sizeof k, "%s", key);
    } else {
        if (sc_random_bytes(rnd, 16))
            return -1; /* never a key from unset bytes */
        sc_hex(rnd, 16, k);
    }
    if (secret) {
        if (!valid_token(secret, 0, 72) || !*secret)
            return -3;
        snprintf(s, sizeof s, "%s", secret);
    } else {
        if (sc_random_bytes(rnd, 32))
            return -1;
        sc_hex(rnd, 32, s);
    }
    if (sc_random_bytes(salt, sizeof salt))
        return -1;
    if (sc_pbkdf2(s, salt, sizeof salt, PBKDF2_ITER, hash))
        return -1;
    fails0 = sc_alloc_failures(); /* a member the builder could not add: nothing is stored */
    rec = cJSON_CreateObject();
    if (!rec)
        return -1;
    cJSON_AddStringToObject(rec, "key", k);
    cJSON_AddStringToObject(rec, "name", name ? name : k);
    {
        cJSON *sj = lrs_scopes_json(scopes);
        if (!cJSON_AddItemToObject(rec, "scopes", sj))
            cJSON_Delete(sj); /* not moved into rec (NULL-tolerant) */
    }
    sc_hex(salt, sizeof salt, hx);
    cJSON_AddStringToObject(rec, "salt", hx);
    sc_hex(hash, sizeof hash, hx);
    cJSON_AddStringToObject(rec, "hash", hx);
    cJSON_AddNumberToObject(rec, "iter", PBKDF2_ITER);
    cJSON_AddStringToObject(rec, "created", sc_time_format_iso(sc_time_now_us(), 3, ts));
    cJSON_AddBoolToObject(rec, "revoked", 0);
    /* xAPI Data 2.4.9: the authority is an Agent identified by the credential. */
    auth = cJSON_AddObjectToObject(rec, "authority");
    cJSON_AddStringToObject(auth, "objectType", "Agent");
    cJSON_AddStringToObject(auth, "name", name ? name : k);
    acct = cJSON_AddObjectToObject(auth, "account");
    cJSON_AddStringToObject(acct, "homePage", LRS_AUTHORITY_HOME);
    cJSON_AddStringToObject(acct, "name", k);
    json = cJSON_PrintUnformatted(rec);
    if (!json || sc_alloc_failures() != fails0)
        goto out; /* rc -1: never a half-written credential */
    rc = stmt_db_put1(db, "creds", k, strlen(k), json, strlen(json), STMT_DB_NOOVERWRITE);
    if (rc == STMT_DB_ERR_EXISTS) {
        rc = -4;
        goto out;
    }
    if (rc)
        goto out;
    snprintf(key_out, keylen, "%s", k);
    snprintf(secret_out, secretlen, "%s", s);
out:
    cJSON_free(json);
    cJSON_Delete(rec);
    return rc;
}

int lrs_cred_revoke(struct stmt_db *db, const char *key)
{
    char *val = NULL;
    size_t n;
    cJSON *rec;
    char *json;
    int rc = stmt_db_get1(db, "creds", key, strlen(key), &val, &n);
    if (rc)
        return rc;
    long fails0 = sc_alloc_failures();
    rec = cJSON_ParseWithLength(val, n);
    sc_free(val);
    if (!rec) /* the record or the memory to parse it is missing: tell which */
        return sc_alloc_failures() != fails0 ? STMT_DB_ERR_NOMEM : STMT_DB_ERR_CORRUPT;
    cJSON *yes = cJSON_CreateTrue();
    if (!yes || !cJSON_ReplaceItemInObject(rec, "revoked", yes)) {
        cJSON_Delete(yes); /* NULL-tolerant; not moved into rec when the replace failed */
        cJSON_Delete(rec);
        return STMT_DB_ERR_NOMEM; /* never "revoked" while still accepted */
    }
    json = cJSON_PrintUnformatted(rec);
    cJSON_Delete(rec);
    if (!json || sc_alloc_failures() != fails0) {
        cJSON_free(json);
        return STMT_DB_ERR_NOMEM;
    }
    rc = stmt_db_put1(db, "creds", key, strlen(key), json, strlen(json), 0);
    cJSON_free(json);
    lrs_auth_cache_flush();
    return rc;
}

struct list_ctx {
    cJSON *arr;
    int active;
};

static int list_visit(void *vctx, const void *k, size_t kl, const void *v, size_t vl)
{
    struct list_ctx *ctx = vctx;
    cJSON *rec = cJSON_ParseWithLength(v, vl), *out;
    (void)k;
    (void)kl;
    if (!rec)
        return 0;
    if (!cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(rec, "revoked")))
        ctx->active++;
    if (ctx->arr) {
        static const char *const fields[] = {"key", "name", "scopes", "created", "revoked"};
        out = cJSON_CreateObject();
        for (size_t i = 0; out && i < sizeof fields / sizeof fields[0]; i++)
            cJSON_AddItemToObject(
                out, fields[i],
                cJSON_Duplicate(cJSON_GetObjectItemCaseSensitive(rec, fields[i]), 1));
        cJSON_AddItemToArray(ctx->arr, out);
    }
    cJSON_Delete(rec);
    return 0;
}

static int scan_creds(struct stmt_db *db, struct list_ctx *ctx)
{
    struct stmt_db_txn *t;
    int rc = stmt_db_txn_begin(db, 0, &t);
    if (rc)
        return rc;
    rc = stmt_db_scan(t, "creds", NULL, 0, list_visit, ctx);
    stmt_db_txn_abort(t);
    return rc;
}

cJSON *lrs_cred_list(struct stmt_db *db)
{
    struct list_ctx ctx = {cJSON_CreateArray(), 0};
    if (scan_creds(db, &ctx)) {
        cJSON_Delete(ctx.arr);
        return NULL;
    }
    return ctx.arr;
}

int lrs_cred_count(struct stmt_db *db)
{
    struct list_ctx ctx = {NULL, 0};
    if (scan_creds(db, &ctx))
        return -1;
    return ctx.active;
}

void lrs_cred_clear(struct lrs_cred *c)
{
    if (!c)
        return;
    sc_free(c->authority);
    memset(c, 0, sizeof *c);
}

static void copy_str(char *dst, size_t cap, const char *src)
{
    size_t n = strlen(src);
    if (n >= cap)
        n = cap - 1;
    memcpy(dst, src, n);
    dst[n] = '\0';
}

static int b64_decode(const char *in, unsigned char *out, size_t outcap, size_t *outlen)
{
    static const char tbl[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    unsigned acc = 0;
    int bits = 0;
    size_t n = 0;
    for (const char *p = in; *p; p++) {
        if (*p == '=')
            break;
        const char *q = strchr(tbl, *p);
        if (!q || !*p)
            return -1;
        acc = (acc << 6) | (unsigned)(q - tbl);
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            if (n + 1 >= outcap)
                return -1;
            out[n++] = (unsigned char)((acc >> bits) & 0xff);
        }
    }
    out[n] = '\0';
    *outlen = n;
    return 0;
}

/* The slow hash of a secret against a stored record; 0 when it matches. Runs the same hash
 * over a fixed salt when the record is absent or unusable, so that an unknown key costs what
 * a known one costs and the answer time tells nothing (issue 15, low). */
static int secret_matches(const cJSON *rec, const char *secret)
{
    static const unsigned char dummy_salt[16] = "scolar-no-such!";
    unsigned char salt[16], hash[32], want[32];
    const char *salt_hex = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(rec, "salt"));
    const char *hash_hex = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(rec, "hash"));
    const cJSON *iter = cJSON_GetObjectItemCaseSensitive(rec, "iter");
    int usable = salt_hex && hash_hex && strlen(salt_hex) == 32 && strlen(hash_hex) == 64 &&
                 cJSON_IsNumber(iter) && iter->valuedouble >= 1 && iter->valuedouble <= 1e7;
    if (!usable) {
        (void)sc_pbkdf2(secret, dummy_salt, sizeof dummy_salt, PBKDF2_ITER, hash);
        return -1;
    }
    for (int i = 0; i < 16; i++)
        if (sscanf(salt_hex + 2 * i, "%2hhx", &salt[i]) != 1)
            return -1;
    for (int i = 0; i < 32; i++)
        if (sscanf(hash_hex + 2 * i, "%2hhx", &want[i]) != 1)
            return -1;
    if (sc_pbkdf2(secret, salt, 16, (unsigned)iter->valuedouble, hash) != 0)
        return -1;
    return sc_ct_equal(hash, want, 32) ? 0 : -1;
}

/* "salt:hash" of a record (hex, as stored), the identity of the secret it accepts; "" without. */
static void stored_of(const cJSON *rec, char out[98])
{
    const char *salt = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(rec, "salt"));
    const char *hash = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(rec, "hash"));
    snprintf(out, 98, "%.32s:%.64s", salt ? salt : "", hash ? hash : "");
}

int lrs_cred_verify_basic(struct stmt_db *db, const char *authz, struct lrs_cred *out)
{
    return lrs_cred_verify_from(db, authz, NULL, out);
}

int lrs_cred_verify_from(struct stmt_db *db, const char *authz, const char *addr,
                         struct lrs_cred *out)
{
    unsigned char dec[256];
    size_t n = 0;
    char *colon, *val = NULL, *authority = NULL, stored[98];
    size_t vl;
    cJSON *rec = NULL;
    int rc = -1, cached;

    if (!authz || strncasecmp(authz, "Basic ", 6) != 0)
        return -1;
    authz += 6;
    while (*authz == ' ')
        authz++;
    if (strlen(authz) > 340 || b64_decode(authz, dec, sizeof dec, &n))
        return -1;
    if (memchr(dec, 0, n))
        return -1;
    colon = strchr((char *)dec, ':'); /* RFC 7617: the user-id cannot contain a colon */
    if (!colon || colon == (char *)dec)
        return -1;
    *colon = '\0';
    const char *key = (const char *)dec, *secret = colon + 1;
    if (strlen(key) > 64)
        return -1;
    /* the record first: the cache entry is valid only for the salt and hash stored now */
    rc = stmt_db_get1(db, "creds", key, strlen(key), &val, &vl);
    if (rc == STMT_DB_OK) {
        rec = cJSON_ParseWithLength(val, vl);
        sc_free(val);
        if (!rec) /* the record is JSON (lrs_cred_create): out of memory, not a wrong key */
            return LRS_AUTH_UNAVAILABLE;
    } else if (rc != STMT_DB_NOTFOUND) {
        return LRS_AUTH_UNAVAILABLE; /* never counted as a failed sign-in */
    }
    rc = -1;
    if (rec && cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(rec, "revoked"))) {
        cJSON_Delete(rec);
        rec = NULL;
    }
    stored_of(rec, stored);
    cached = rec && cache_hit(key, secret, stored);
    if (!cached && (rc = auth_throttled(db, addr, key)) != 0) {
        rc = rc == LRS_AUTH_UNAVAILABLE ? rc : LRS_AUTH_THROTTLED;
        goto out;
    }
    rc = -1;
    if (!cached) {
        /* runs for unknown and revoked keys too (a dummy hash): the same cost for all */
        if (secret_matches(rec, secret) != 0 || !rec) {
            auth_failed(db, addr, key);
            goto out;
        }
        cache_put(key, secret, stored);
    }
    if (!rec)
        goto out;
    authority = cJSON_PrintUnformatted(cJSON_GetObjectItemCaseSensitive(rec, "authority"));
    if (!authority) { /* no authority to record statements under: refuse, never guess */
        rc = LRS_AUTH_UNAVAILABLE;
        goto out;
    }
    memset(out, 0, sizeof *out);
    const char *name = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(rec, "name"));
    copy_str(out->key, sizeof out->key, key);
    copy_str(out->name, sizeof out->name, name ? name : key);
    out->scopes = scopes_from_json(cJSON_GetObjectItemCaseSensitive(rec, "scopes"));
    out->authority = authority;
    authority = NULL;
    rc = 0;
out:
    sc_free(authority);
    cJSON_Delete(rec);
    return rc;
}

/* ---- authorization: the one table (issue 4; security.md §7 "one table-driven allowed()") -- */

#define READ_ANY (LRS_SCOPE_ALL_READ | LRS_SCOPE_ALL)
static const struct {
    const char *prefix; /* path, or prefix when it ends in '*' */
    unsigned read;      /* scopes that allow GET and HEAD */
    unsigned write;     /* scopes that allow PUT, POST, DELETE */
} SCOPE_TABLE[] = {
    /* statements/read/mine may read; the route then restricts results to its own statements */
    {"/xapi/statements", LRS_SCOPE_STATEMENTS_READ | LRS_SCOPE_STATEMENTS_READ_MINE | READ_ANY,
     LRS_SCOPE_STATEMENTS_WRITE | LRS_SCOPE_ALL},
    {"/xapi/activities/state", LRS_SCOPE_STATE | READ_ANY, LRS_SCOPE_STATE | LRS_SCOPE_ALL},
    {"/xapi/activities/profile", LRS_SCOPE_PROFILE | READ_ANY, LRS_SCOPE_PROFILE | LRS_SCOPE_ALL},
    {"/xapi/agents/profile", LRS_SCOPE_PROFILE | READ_ANY, LRS_SCOPE_PROFILE | LRS_SCOPE_ALL},
    {"/xapi/activities", LRS_SCOPE_DEFINE | READ_ANY, LRS_SCOPE_DEFINE | LRS_SCOPE_ALL},
    {"/xapi/agents", LRS_SCOPE_DEFINE | READ_ANY, LRS_SCOPE_DEFINE | LRS_SCOPE_ALL},
    {"/xapi/*", READ_ANY, LRS_SCOPE_ALL},
    /* the admin API is not part of xAPI: only the admin scope opens it */
    {"/api/*", LRS_SCOPE_ADMIN, LRS_SCOPE_ADMIN},
    {"/metrics", LRS_SCOPE_ADMIN, LRS_SCOPE_ADMIN},
};

int lrs_scope_allowed(const char *path, const char *method, unsigned scopes)
{
    int write = strcmp(method, "GET") != 0 && strcmp(method, "HEAD") != 0;
    for (size_t i = 0; i < sizeof SCOPE_TABLE / sizeof SCOPE_TABLE[0]; i++) {
        const char *p = SCOPE_TABLE[i].prefix;
        size_t n = strlen(p);
        int hit = p[n - 1] == '*' ? !strncmp(p, path, n - 1) : !strcmp(p, path);
        if (hit)
            return (scopes & (write ? SCOPE_TABLE[i].write : SCOPE_TABLE[i].read)) != 0;
    }
    return 0; /* a protected path missing from the table is closed */
}

int lrs_scope_may(unsigned scopes, const char *path, int write)
{
    return lrs_scope_allowed(path, write ? "PUT" : "GET", scopes);
}
