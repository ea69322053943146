/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The configuration file (--config FILE, or SCOLAR_CONFIG; issue 18). One format: lines
 * "key = value", blank lines and lines starting with '#' ignored, no quoting (the value is the
 * rest of the line with the spaces around it removed). Every key is the name of a flag and
 * stands for one environment variable, SCOLAR_<KEY> with '-' as '_': the file sets that
 * variable unless the environment already has it, so the weights are defaults < file <
 * environment < flags. An unknown key, a repeated key or a value of the wrong type is an error
 * naming the file and line (`scolar config check` reports them without starting anything).
 */
#include "lrs/lrs.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum kind { K_STR, K_SIZE, K_MS, K_ENUM, K_MS0 };

static const struct key {
    const char *key, *env;
    enum kind kind;
    const char *choices; /* K_ENUM: '|'-separated */
} KEYS[] = {
    {"data", "SCOLAR_DATA", K_STR, NULL},
    {"store", "SCOLAR_STORE", K_STR, NULL},
    {"listen", "SCOLAR_LISTEN", K_STR, NULL},
    {"content-listen", "SCOLAR_CONTENT_LISTEN", K_STR, NULL},
    {"public-url", "SCOLAR_PUBLIC_URL", K_STR, NULL},
    {"content-url", "SCOLAR_CONTENT_URL", K_STR, NULL},
    {"tls-cert", "SCOLAR_TLS_CERT", K_STR, NULL},
    {"tls-key", "SCOLAR_TLS_KEY", K_STR, NULL},
    {"trusted-proxy", "SCOLAR_TRUSTED_PROXY", K_STR, NULL},
    {"max-body", "SCOLAR_MAX_BODY", K_SIZE, NULL},
    {"max-document", "SCOLAR_MAX_DOCUMENT", K_SIZE, NULL},
    {"max-upload", "SCOLAR_MAX_UPLOAD", K_SIZE, NULL},
    {"threads", "SCOLAR_THREADS", K_SIZE, NULL},
    {"max-conn-per-addr", "SCOLAR_MAX_CONN_PER_ADDR", K_SIZE, NULL},
    {"request-timeout-ms", "SCOLAR_REQUEST_TIMEOUT_MS", K_MS, NULL},
    {"body-grace-ms", "SCOLAR_BODY_GRACE_MS", K_MS, NULL},
    {"cors-origins", "SCOLAR_CORS_ORIGINS", K_STR, NULL},
    {"token-ttl", "SCOLAR_TOKEN_TTL", K_SIZE, NULL},
    {"session-idle", "SCOLAR_SESSION_IDLE", K_SIZE, NULL},
    {"signin-fails", "SCOLAR_SIGNIN_FAILS", K_SIZE, NULL},
    {"log-level", "SCOLAR_LOG_LEVEL", K_ENUM, "debug|info|warn|error"},
    {"log-format", "SCOLAR_LOG_FORMAT", K_ENUM, "text|json"},
    {"admin-key", "SCOLAR_ADMIN_KEY", K_STR, NULL},
    {"admin-secret", "SCOLAR_ADMIN_SECRET", K_STR, NULL},
    {"db-initial-map", "SCOLAR_DB_INITIAL_MAP", K_SIZE, NULL},
    {"fold-epoch", "SCOLAR_FOLD_EPOCH", K_SIZE, NULL},
    {"runtime-dir", "SCOLAR_RUNTIME_DIR", K_STR, NULL},
    {"forward-max-lag-ms", "SCOLAR_FORWARD_MAX_LAG_MS", K_MS0, NULL}, /* lrs/fwd_admit.c */
    {"forward-hold-ms", "SCOLAR_FORWARD_HOLD_MS", K_MS0, NULL},
    {NULL, NULL, K_STR, NULL},
};

static int choice_ok(const char *choices, const char *v)
{
    size_t n = strlen(v);
    for (const char *p = choices; *p;) {
        size_t m = strcspn(p, "|");
        if (m == n && !strncmp(p, v, n))
            return 1;
        p += m;
        p += *p == '|';
    }
    return 0;
}

static const char *value_error(const struct key *k, const char *v)
{
    char *end;
    switch (k->kind) {
    case K_STR:
        return *v ? NULL : "an empty value";
    case K_SIZE:
    case K_MS:
        errno = 0;
        if (!isdigit((unsigned char)*v) || strtoull(v, &end, 10) == 0 || *end || errno)
            return "needs a positive whole number";
        return NULL;
    case K_ENUM:
        return choice_ok(k->choices, v) ? NULL : "is not one of the allowed values";
    case K_MS0: /* 0 allowed (switches the feature off) */
        errno = 0;
        if (!isdigit((unsigned char)*v) || strtoull(v, &end, 10) > 3600000 || *end || errno)
            return "needs a whole number from 0 to 3600000";
        return NULL;
    }
    return NULL;
}

int lrs_config_file(const char *path, int apply, char *err, size_t errlen)
{
    FILE *f = fopen(path, "r");
    char line[4096];
    unsigned seen[sizeof KEYS / sizeof *KEYS] = {0};
    int lineno = 0;

    if (!f) {
        snprintf(err, errlen, "config %s: %s", path, strerror(errno));
        return -1;
    }
    while (fgets(line, sizeof line, f)) {
        char *p = line, *eq, *k, *v, *e;
        lineno++;
        if (!strchr(line, '\n') && !feof(f)) {
            snprintf(err, errlen, "config %s:%d: line longer than %zu bytes", path, lineno,
                     sizeof line - 2);
            fclose(f);
            return -1;
        }
        line[strcspn(line, "\r\n")] = '\0';
        while (isspace((unsigned char)*p))
            p++;
        if (!*p || *p == '#')
            continue;
        eq = strchr(p, '=');
        if (!eq) {
            snprintf(err, errlen, "config %s:%d: expected \"key = value\"", path, lineno);
            fclose(f);
            return -1;
        }
        k = p;
        for (e = eq; e > k && isspace((unsigned char)e[-1]);)
            e--;
        *e = '\0';
        v = eq + 1;
        while (isspace((unsigned char)*v))
            v++;
        for (e = v + strlen(v); e > v && isspace((unsigned char)e[-1]);)
            e--;
        *e = '\0';
        size_t i;
        for (i = 0; KEYS[i].key && strcmp(KEYS[i].key, k); i++)
            ;
        if (!KEYS[i].key) {
            snprintf(err, errlen, "config %s:%d: unknown key '%.64s' (docs/configuration.md)", path,
                     lineno, k);
            fclose(f);
            return -1;
        }
        if (seen[i]) {
            snprintf(err, errlen, "config %s:%d: key '%s' given again (first on line %u)", path,
                     lineno, k, seen[i]);
            fclose(f);
            return -1;
        }
        seen[i] = (unsigned)lineno;
        const char *why = value_error(&KEYS[i], v);
        if (why) {
            snprintf(err, errlen, "config %s:%d: %s: '%.64s' %s%s%s", path, lineno, k, v, why,
                     KEYS[i].choices ? " " : "", KEYS[i].choices ? KEYS[i].choices : "");
            fclose(f);
            return -1;
        }
        const char *cur = getenv(KEYS[i].env); /* an empty variable counts as unset */
        if (apply && (!cur || !*cur) && setenv(KEYS[i].env, v, 1)) {
            snprintf(err, errlen, "config %s:%d: %s", path, lineno, strerror(errno));
            fclose(f);
            return -1;
        }
    }
    if (ferror(f)) {
        snprintf(err, errlen, "config %s: read error", path);
        fclose(f);
        return -1;
    }
    fclose(f);
    return 0;
}
