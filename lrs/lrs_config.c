/* SPDX-License-Identifier: Apache-2.0 */
/* Configuration: defaults, then SCOLAR_* environment variables, then command-line flags
 * (applied by main.c), in that order of weight. docs/configuration.md lists every knob. */
#include "lrs/lrs.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void lrs_config_defaults(struct lrs_config *c)
{
    memset(c, 0, sizeof *c);
    snprintf(c->data_dir, sizeof c->data_dir, "./scolar-data");
    snprintf(c->listen, sizeof c->listen, "127.0.0.1:8080");
    snprintf(c->content_listen, sizeof c->content_listen, "127.0.0.1:8081");
    c->max_body = 16u << 20;
    c->max_upload = 512u << 20;
    c->max_doc = 1u << 20;
    /* per origin; see start_ctx in lrs_http.c: a connection holds a worker while it is open,
     * so the pool is what a crowd of slow or idle clients must exhaust (issue 15) */
    c->threads = 512;
    c->max_conn_per_addr = 256;
    c->request_timeout_ms = 10000;
    c->body_grace_ms = 20000;
    c->log_level = LRS_LOG_INFO;
    snprintf(c->cors_origins, sizeof c->cors_origins, "*");
}

static void env_str(const char *name, char *dst, size_t n)
{
    const char *v = getenv(name);
    if (v && *v)
        snprintf(dst, n, "%s", v);
}

static void env_size(const char *name, size_t *dst)
{
    const char *v = getenv(name);
    if (v && *v) {
        char *end;
        unsigned long long x = strtoull(v, &end, 10);
        if (!*end && x > 0)
            *dst = (size_t)x;
    }
}

void lrs_config_from_env(struct lrs_config *c)
{
    env_str("SCOLAR_DATA", c->data_dir, sizeof c->data_dir);
    env_str("SCOLAR_LISTEN", c->listen, sizeof c->listen);
    env_str("SCOLAR_CONTENT_LISTEN", c->content_listen, sizeof c->content_listen);
    env_str("SCOLAR_PUBLIC_URL", c->public_url, sizeof c->public_url);
    env_str("SCOLAR_CONTENT_URL", c->content_url, sizeof c->content_url);
    env_str("SCOLAR_CORS_ORIGINS", c->cors_origins, sizeof c->cors_origins);
    env_size("SCOLAR_MAX_BODY", &c->max_body);
    env_size("SCOLAR_MAX_UPLOAD", &c->max_upload);
    env_size("SCOLAR_MAX_DOCUMENT", &c->max_doc);
    size_t t = 0;
    env_size("SCOLAR_THREADS", &t);
    if (t > 0 && t <= LRS_MAX_THREADS)
        c->threads = (int)t;
    size_t m = SIZE_MAX;
    env_size("SCOLAR_MAX_CONN_PER_ADDR", &m);
    if (m <= 1000000)
        c->max_conn_per_addr = (int)m;
    m = 0;
    env_size("SCOLAR_REQUEST_TIMEOUT_MS", &m);
    if (m >= 100 && m <= 3600000)
        c->request_timeout_ms = (int)m;
    m = 0;
    env_size("SCOLAR_BODY_GRACE_MS", &m);
    if (m >= 100 && m <= 3600000)
        c->body_grace_ms = (int)m;
    const char *lv = getenv("SCOLAR_LOG_LEVEL");
    if (lv) {
        if (!strcmp(lv, "debug"))
            c->log_level = LRS_LOG_DEBUG;
        else if (!strcmp(lv, "warn"))
            c->log_level = LRS_LOG_WARN;
        else if (!strcmp(lv, "error"))
            c->log_level = LRS_LOG_ERROR;
    }
}

void lrs_config_urls(struct lrs_config *c)
{
    if (!c->public_url[0])
        snprintf(c->public_url, sizeof c->public_url, "http://%s", c->listen);
    if (!c->content_url[0])
        snprintf(c->content_url, sizeof c->content_url, "http://%s", c->content_listen);
}
