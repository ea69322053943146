/* SPDX-License-Identifier: Apache-2.0 */
/* The needles of a query filter term (stmt_needles.h). */
#include "statements/stmt_needles.h"
#include "statements/stmt_store_int.h"
#include "common/sc_alloc.h"

#include <string.h>
#include <strings.h>

static int add(struct stmt__needles *nd, const char *s, size_t n)
{
    char *tmp = sc_strndup(s, n);
    cJSON *js;
    if (!tmp)
        return STMT_STORE_ERR_NOMEM;
    js = cJSON_CreateString(tmp);
    sc_free(tmp);
    if (!js)
        return STMT_STORE_ERR_NOMEM;
    /* printed by cJSON so the escaping is the one of the stored record */
    nd->s[nd->n] = cJSON_PrintUnformatted(js);
    cJSON_Delete(js);
    if (!nd->s[nd->n])
        return STMT_STORE_ERR_NOMEM;
    nd->len[nd->n] = strlen(nd->s[nd->n]);
    nd->n++;
    return STMT_STORE_OK;
}

int stmt__needles_init(struct stmt__needles *nd, char kind, const char *value, uint64_t *hash)
{
    size_t n = strlen(value);
    const char *colon;
    memset(nd, 0, sizeof *nd);
    if (kind == STMT_TERM_REGISTRATION) {
        char low[STMT_STORE_UUID_LEN];
        unsigned char bin[16];
        if (stmt__uuid_parse(value, bin) != 0)
            return STMT_STORE_ERR_ARG;
        stmt__uuid_format(bin, low); /* lower case, as the store hashes it */
        *hash = stmt__term_hash(kind, low, 36);
        nd->ci = 1; /* the record keeps the case it was sent with */
        return add(nd, low, 36);
    }
    *hash = stmt__term_hash(kind, value, n);
    if (kind != STMT_TERM_AGENT && kind != STMT_TERM_REL_AGENT)
        return add(nd, value, n);
    colon = strchr(value, ':');
    if (!colon)
        return STMT_STORE_ERR_ARG;
    if (strncmp(value, "account:", 8) == 0) {
        const char *sep = strchr(colon + 1, '\x1f');
        int rc;
        if (!sep)
            return STMT_STORE_ERR_ARG;
        rc = add(nd, colon + 1, (size_t)(sep - colon - 1));
        return rc ? rc : add(nd, sep + 1, strlen(sep + 1));
    }
    return add(nd, colon + 1, strlen(colon + 1));
}

void stmt__needles_free(struct stmt__needles *nd)
{
    for (int j = 0; j < nd->n; j++)
        cJSON_free(nd->s[j]);
    nd->n = 0;
}

int stmt__needles_in(const struct stmt__needles *nd, const char *json, size_t jl)
{
    for (int j = 0; j < nd->n; j++) {
        const char *s = nd->s[j];
        size_t sl = nd->len[j];
        int hit = 0;
        if (!nd->ci) {
            hit = memmem(json, jl, s, sl) != NULL;
        } else {
            for (size_t i = 0; !hit && sl <= jl && i + sl <= jl; i++)
                hit = strncasecmp(json + i, s, sl) == 0;
        }
        if (!hit)
            return 0;
    }
    return 1;
}

int stmt__rec_has_term(const unsigned char *rec, size_t nterms, uint64_t term)
{
    size_t lo = 0, hi = nterms;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        uint64_t v = stmt__be64_get(rec + STMT_REC_HDR + 8 * mid);
        if (v == term)
            return 1;
        if (v < term)
            lo = mid + 1;
        else
            hi = mid;
    }
    return 0;
}
