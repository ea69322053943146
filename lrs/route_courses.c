/* SPDX-License-Identifier: Apache-2.0 */
/*
 * /api/courses: POST uploads a SCORM package (the zip as the body, or a multipart/form-data
 * upload with one file part) → 201 with the import JSON: always a NEW course (its id derived
 * from the manifest identifier, made unique), ?course=ID a new version of course ID (404 when
 * there is none), ?id=ID a new course with exactly that id (409 when taken). GET lists a page
 * (?q=&offset=&limit=); GET /api/courses/ID gives the record with the item tree, versions and
 * counters; DELETE /api/courses/ID removes record and files, 409 while registrations exist.
 * GET /api/courses/ID/registrations pages its registrations; POST /api/courses/ID/preview
 * makes a preview registration that records nothing (docs/api.md).
 */
#include "lrs/lrs.h"
#include "lrs/lrs_console.h"
#include "lrs/lrs_multipart.h"
#include "common/sc_alloc.h"
#include "scorm/cmi5.h"
#include "scorm/scorm.h"
#include "scorm/scorm_rt.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

static void reply_scorm_err(struct lrs_req *r, int rc, const struct scorm_diag *d)
{
    char where[300] = "";
    if (d->file[0] && d->line)
        snprintf(where, sizeof where, "%s line %d: ", d->file, d->line);
    else if (d->file[0])
        snprintf(where, sizeof where, "%s: ", d->file);
    else if (d->line)
        snprintf(where, sizeof where, "line %d: ", d->line);
    lrs_reply_error(r, lrs_scorm_status(rc), "%s%s%s", where,
                    d->msg[0] ? d->msg : scorm_strerror(rc), "");
}

static void courses_post(struct lrs_req *r)
{
    const char *ct = lrs_req_header(r, "Content-Type");
    const void *zip;
    size_t zlen;
    struct scorm_import_opts opts;
    struct scorm_diag diag;
    cJSON *result = NULL;
    struct lrs_part *parts = NULL;
    int rc;

    rc = lrs_req_read_body(r, r->app->cfg.max_upload);
    if (rc) {
        lrs_reply_error(r, rc, rc == 413 ? "upload larger than %zu bytes" : "cannot read upload",
                        r->app->cfg.max_upload);
        return;
    }
    zip = r->body.data;
    zlen = r->body.len;
    if (ct && !strncasecmp(ct, "multipart/form-data", 19)) {
        char boundary[80], err[128], disp[512];
        size_t np = 0;
        if (lrs_multipart_boundary(ct, boundary, sizeof boundary)) {
            lrs_reply_error(r, 400, "multipart upload without a valid boundary parameter");
            return;
        }
        if (lrs_multipart_parse(r->body.data, r->body.len, boundary, 16, &parts, &np, err,
                                sizeof err)) {
            lrs_reply_error(r, 400, "multipart upload: %s", err);
            return;
        }
        zip = NULL;
        for (size_t i = 0; i < np; i++) {
            if (!lrs_part_header(&parts[i], "Content-Disposition", disp, sizeof disp) &&
                strstr(disp, "filename=")) {
                zip = parts[i].data;
                zlen = parts[i].len;
                break;
            }
        }
        if (!zip) {
            sc_free(parts);
            lrs_reply_error(r, 400, "multipart upload has no file part");
            return;
        }
    } else if (ct && (!strncasecmp(ct, "text/xml", 8) || !strncasecmp(ct, "application/xml", 15))) {
        lrs_cmi5_course_post(r, zip, zlen); /* a bare cmi5 course structure (cmi5 14.2) */
        return;
    } else if (ct && strncasecmp(ct, "application/zip", 15) &&
               strncasecmp(ct, "application/octet-stream", 24) &&
               strncasecmp(ct, "application/x-zip-compressed", 28)) {
        lrs_reply_error(r, 415,
                        "Content-Type '%.64s' not accepted: send the zip as application/zip or "
                        "a multipart/form-data upload",
                        ct);
        return;
    }
    if (zlen == 0) {
        sc_free(parts);
        lrs_reply_error(r, 400, "empty upload: send the package zip");
        return;
    }
    if (r->app->cmi5 && cmi5_sniff(zip, zlen)) { /* cmi5.xml and no imsmanifest.xml */
        lrs_cmi5_course_post(r, zip, zlen);
        sc_free(parts);
        return;
    }
    memset(&opts, 0, sizeof opts);
    memset(&diag, 0, sizeof diag);
    if (lrs_req_parse_query(r)) {
        sc_free(parts);
        lrs_reply_error(r, 400, "malformed query string");
        return;
    }
    /* issue 13: never a silent merge into another course */
    opts.course_id = lrs_req_param(r, "course");
    opts.existing = 1;
    if (opts.course_id && lrs_req_param(r, "id")) {
        sc_free(parts);
        lrs_reply_error(r, 400,
                        "give ?course=ID (a new version) or ?id=ID (a new course), "
                        "not both");
        return;
    }
    if (!opts.course_id && (opts.course_id = lrs_req_param(r, "id")) != NULL)
        opts.existing = -1;
    opts.worker_exe = LRS_SELF_EXE; /* a threaded server: spawn, never fork alone */
    opts.events = r->app->store;    /* course.imported webhooks (issue 17) */
    rc = scorm_import_mem(r->app->db, zip, zlen, &opts, &result, &diag);
    sc_free(parts);
    if (rc) {
        lrs_log(LRS_LOG_INFO, "course import refused: %s", scorm_strerror(rc));
        reply_scorm_err(r, rc, &diag);
        return;
    }
    lrs_reply_json(r, 201, result);
    cJSON_Delete(result);
}

/* /api/courses/ID/registrations and /api/courses/ID/preview */
static void course_sub(struct lrs_req *r, const char *id_start, const char *sub)
{
    char id[SCORM_MAX_COURSE_ID + 1], err[512];
    size_t n = (size_t)(sub - id_start);
    struct scorm_rt *rt;
    cJSON *out = NULL;
    int rc;
    if (n == 0 || n > SCORM_MAX_COURSE_ID) {
        lrs_reply_error(r, 404, "no course %.80s", id_start);
        return;
    }
    memcpy(id, id_start, n);
    id[n] = 0;
    rt = lrs_rt_get(r->app, err, sizeof err);
    if (!rt) {
        lrs_reply_error(r, 503, "SCORM run-time unavailable: %s", err);
        return;
    }
    if (!strcmp(sub, "/registrations")) {
        const char *q;
        size_t offset, limit;
        if (strcmp(r->method, "GET") && !r->head) {
            lrs_reply_error(r, 405, "method %s not allowed on %s", r->method, r->path);
            return;
        }
        if (lrs_page_params(r, &q, &offset, &limit))
            return;
        if (!scorm_course_exists(r->app->db, id)) {
            lrs_reply_error(r, 404, "no course %s", id);
            return;
        }
        rc = scorm_rt_course_registrations(rt, id, q, offset, limit, &out);
        if (rc) {
            lrs_reply_error(r, lrs_rt_status(rc), "%s", scorm_rt_strerror(rc));
            return;
        }
        lrs_reply_json(r, 200, out);
        cJSON_Delete(out);
        return;
    }
    if (!strcmp(sub, "/preview")) {
        struct scorm_rt_reg_opts ro = {NULL, NULL, 0, 1};
        struct scorm_diag d;
        char url[1024];
        if (strcmp(r->method, "POST")) {
            lrs_reply_error(r, 405, "use POST on %s", r->path);
            return;
        }
        memset(&d, 0, sizeof d);
        /* a preview is a registration that records nothing (scorm_rt_reg_opts.preview) */
        rc = scorm_rt_registration_create_opt(rt, id, "preview", "Preview", &ro, &out, &d);
        if (rc) {
            lrs_reply_error(r, lrs_rt_status(rc), "%s",
                            rc == SCORM_RT_ERR_NOTFOUND ? "no such course"
                            : d.msg[0]                  ? d.msg
                                                        : scorm_rt_strerror(rc));
            return;
        }
        snprintf(url, sizeof url, "%s/player/%s?token=%s", r->app->cfg.content_url,
                 cJSON_GetStringValue(cJSON_GetObjectItem(out, "registration")),
                 cJSON_GetStringValue(cJSON_GetObjectItem(out, "token")));
        cJSON_AddStringToObject(out, "launch_url", url);
        cJSON_AddBoolToObject(out, "preview", 1);
        lrs_reply_json(r, 201, out);
        cJSON_Delete(out);
        return;
    }
    lrs_reply_error(r, 404, "no resource at %s", r->path);
}

void lrs_route_courses(struct lrs_req *r)
{
    const char *rest = r->path + strlen("/api/courses");
    cJSON *out = NULL;
    struct scorm_diag diag;
    int rc;

    memset(&diag, 0, sizeof diag);
    if (!*rest || !strcmp(rest, "/")) {
        if (!strcmp(r->method, "POST")) {
            courses_post(r);
            return;
        }
        if (!strcmp(r->method, "GET") || r->head) {
            const char *q;
            size_t offset, limit;
            if (lrs_page_params(r, &q, &offset, &limit))
                return;
            rc = scorm_course_page(r->app->db, q, offset, limit, &out);
            if (rc) {
                reply_scorm_err(r, rc, &diag);
                return;
            }
            lrs_reply_json(r, 200, out);
            cJSON_Delete(out);
            return;
        }
        lrs_reply_error(r, 405, "method %s not allowed on /api/courses", r->method);
        return;
    }
    const char *id = rest + 1, *sub = strchr(id, '/');
    {
        char cid[SCORM_MAX_COURSE_ID + 1];
        size_t n = sub ? (size_t)(sub - id) : strlen(id);
        if (n <= SCORM_MAX_COURSE_ID) {
            memcpy(cid, id, n);
            cid[n] = 0;
            if (lrs_cmi5_is_course(r, cid)) {
                lrs_cmi5_course(r, cid, sub);
                return;
            }
        }
    }
    if (sub) {
        course_sub(r, id, sub);
        return;
    }
    if (strlen(id) > SCORM_MAX_COURSE_ID) {
        lrs_reply_error(r, 404, "no course %.80s", id);
        return;
    }
    if (!strcmp(r->method, "GET") || r->head) {
        rc = scorm_course_get(r->app->db, id, &out);
        if (rc) {
            if (rc == SCORM_ERR_NOTFOUND)
                lrs_reply_error(r, 404, "no course %s", id);
            else
                reply_scorm_err(r, rc, &diag);
            return;
        }
        lrs_reply_json(r, 200, out);
        cJSON_Delete(out);
        return;
    }
    if (!strcmp(r->method, "DELETE")) {
        int regs = 0, done = 0;
        rc = scorm_course_delete(r->app->db, id);
        if (rc == SCORM_ERR_IN_USE)
            scorm_course_stats(r->app->db, id, &regs, &done);
        if (rc == SCORM_ERR_NOTFOUND)
            lrs_reply_error(r, 404, "no course %s", id);
        else if (rc == SCORM_ERR_IN_USE)
            lrs_reply_error(r, 409,
                            "course %s has %d registration%s: delete its %d registration%s "
                            "first",
                            id, regs, regs == 1 ? "" : "s", regs, regs == 1 ? "" : "s");
        else if (rc)
            reply_scorm_err(r, rc, &diag);
        else
            lrs_reply(r, 204, NULL, NULL, 0);
        return;
    }
    lrs_reply_error(r, 405, "method %s not allowed on %s", r->method, r->path);
}
