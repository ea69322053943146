/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Every package of ../shared/scorm-packages/ through scorm_import_mem: the content packages
 * and ready zips import with the right version and SCO count; the edge-case fixtures import or
 * fail with the expected code; the 189 ADL CTS packages (assembled with their SCO depot, as the
 * CTS does) all import. Failures must leave DATA/content and the course table unchanged.
 */
#include "common/sc_alloc.h"
#include "common/tap.h"
#include "scorm/tests/scorm_test_util.h"

struct expect {
    const char *dir;
    int rc;
    const char *version;
    int scos; /* SCOs: launchable items of the default organization whose resource is a SCO
                 (issue 15: items, not SCO resources; a resource used by two items counts twice) */
    const char *warning; /* a warning that must be present, or NULL */
};

static const struct expect packages[] = {
    {"golf-12-ContentPackagingSingleSCO", 0, "scorm12", 1, NULL},
    {"golf-12-ContentPackagingOneFilePerSCO", 0, "scorm12", 0, NULL},
    {"golf-12-RuntimeBasicCalls", 0, "scorm12", 1, NULL},
    {"golf-12-RuntimeMinimumCalls", 0, "scorm12", 18, NULL},
    {"golf-2004v2-ContentPackagingSingleSCO", 0, "scorm2004-2nd", 1, NULL},
    {"golf-2004v3-ContentPackagingSingleSCO", 0, "scorm2004-3rd", 1, NULL},
    {"golf-2004v3-ContentPackagingOneFilePerSCO", 0, "scorm2004-3rd", 0, NULL},
    {"golf-2004v3-ContentPackagingMetadata", 0, "scorm2004-3rd", 1, NULL},
    {"golf-2004v3-RuntimeBasicCalls", 0, "scorm2004-3rd", 1, NULL},
    {"golf-2004v3-RuntimeMinimumCalls", 0, "scorm2004-3rd", 18, NULL},
    {"golf-2004v3-RunTimeAdvancedCalls", 0, "scorm2004-3rd", 1, NULL},
    {"golf-2004v3-SequencingForcedSequential", 0, "scorm2004-3rd", 5, NULL},
    {"golf-2004v3-SequencingPostTestRollup", 0, "scorm2004-3rd", 5, NULL},
    {"golf-2004v3-SequencingPreOrPostTestRollup", 0, "scorm2004-3rd", 6, NULL},
    {"golf-2004v3-SequencingRandomTest", 0, "scorm2004-3rd", 8, NULL},
    {"golf-2004v3-SequencingSimpleRemediation", 0, "scorm2004-3rd", 8, NULL},
    {"golf-2004v4-SequencingPostTestRollup4thEd", 0, "scorm2004-4th", 5, NULL},
    {"emp-12-ContentPackagingWithMetadata", 0, "scorm12", 1, NULL},
    {"derived-12-prefixed-namespaces", 0, "scorm12", 1, NULL},
    {"derived-2004v3-no-schemalocation", 0, "scorm2004-3rd", 1, NULL},
    {"derived-2004v3-submanifest", 0, "scorm2004-3rd", 0, NULL},
    {"derived-12-case-mismatch", 0, "scorm12", 1, "differs only by case"},
    /* edge-cases/: manifests, mostly without their content */
    {"edge-cases/AdlAttributes_SCORM20043rdEdition", SCORM_ERR_LAUNCH_MISSING, NULL, 0, NULL},
    {"edge-cases/ComplexNestedOrganization_SCORM12", SCORM_ERR_LAUNCH_MISSING, NULL, 0, NULL},
    {"edge-cases/ContentPackagingNoSchemaVersion_SCORM20042ndEdition", SCORM_ERR_LAUNCH_MISSING,
     NULL, 0, NULL},
    {"edge-cases/InvalidFileReferences_SCORM12", SCORM_ERR_LAUNCH_MISSING, NULL, 0, NULL},
    {"edge-cases/InvalidMissingOrgIdentifier_SCORM20043rdEdition", SCORM_ERR_MANIFEST, NULL, 0,
     NULL},
    {"edge-cases/ItemWithNonExistentResourceId_SCORM12", SCORM_ERR_RESOURCE_MISSING, NULL, 0, NULL},
    {"edge-cases/LaunchUrlFromNestedItem_SCORM12", 0, "scorm12", 2, NULL},
    {"edge-cases/MalformedXml_SCORM12", SCORM_ERR_XML, NULL, 0, NULL},
    {"edge-cases/MinimalValid_SCORM20043rdEdition", SCORM_ERR_LAUNCH_MISSING, NULL, 0, NULL},
    {"edge-cases/MissingLaunchUrl_SCORM12", SCORM_ERR_NO_LAUNCH, NULL, 0, NULL},
    {"edge-cases/MissingRequiredFields_SCORM12", SCORM_ERR_LAUNCH_MISSING, NULL, 0, NULL},
    {"edge-cases/MultipleItemsWithIdentifierRef_SCORM12", 0, "scorm12", 3, NULL},
    {"edge-cases/PrerequisitesTest_SCORM12", 0, "scorm12", 4, NULL},
};

static const struct expect zips[] = {
    {"golf-12-RuntimeBasicCalls.zip", 0, "scorm12", 1, NULL},
    {"golf-2004v3-SequencingSimpleRemediation.zip", 0, "scorm2004-3rd", 8, NULL},
    {"derived-wrapped-in-folder.zip", 0, "scorm12", 1, "wrapped in the folder"},
    {"derived-backslash-entries.zip", 0, "scorm12", 1, "'\\' separators"},
};

static struct stmt_db *db;
static char datadir[512];

static void check_one(const struct expect *e, const char *buf, size_t len, const char *label)
{
    cJSON *res = NULL;
    struct scorm_diag d;
    char *before = tu_snapshot(datadir);
    int n0 = tu_course_count(db);
    int rc = scorm_import_mem(db, buf, len, NULL, &res, &d);

    is_int(rc, e->rc, "%s: import returns %s", label, scorm_strerror(e->rc));
    if (rc != e->rc)
        tap_diag("%s: %s (%s line %d)", label, d.msg, d.file, d.line);
    if (rc == 0 && e->rc == 0) {
        is_str(cJSON_GetStringValue(cJSON_GetObjectItem(res, "version")), e->version, "%s: version",
               label);
        is_int(cJSON_GetNumberValue(cJSON_GetObjectItem(res, "scos")), e->scos, "%s: SCO count",
               label);
        if (e->warning)
            ok(tu_has_warning(res, e->warning), "%s: warning '%s'", label, e->warning);
        cJSON *c = NULL;
        is_int(scorm_course_get(db, cJSON_GetStringValue(cJSON_GetObjectItem(res, "course")), &c),
               0, "%s: course record stored", label);
        is_int(cJSON_GetNumberValue(cJSON_GetObjectItem(c, "current")),
               cJSON_GetNumberValue(cJSON_GetObjectItem(res, "course_version")),
               "%s: the record's current version is the one imported", label);
        ok(tu_course_count(db) >= n0, "%s: course count", label);
        cJSON_Delete(c);
    } else if (e->rc != 0) {
        char *after = tu_snapshot(datadir);
        is_str(after, before, "%s: nothing left in DATA/content", label);
        is_int(tu_course_count(db), n0, "%s: no course record", label);
        is_int(d.code, e->rc, "%s: diag code", label);
        ok(d.msg[0] != '\0', "%s: diag message: %s", label, d.msg);
        sc_free(after);
    }
    cJSON_Delete(res);
    sc_free(before);
}

int main(void)
{
    char dir[1024];
    size_t len = 0;
    char *buf;
    DIR *d;
    struct dirent *de;
    int adl = 0;

    tu_init();
    db = tu_db_open(datadir, sizeof datadir);

    for (size_t i = 0; i < sizeof packages / sizeof packages[0]; i++) {
        snprintf(dir, sizeof dir, "%s/scorm-packages/%s", tu_shared(), packages[i].dir);
        buf = tu_zip_package(dir, 0, &len);
        ok(buf != NULL, "%s: zipped", packages[i].dir);
        if (buf)
            check_one(&packages[i], buf, len, packages[i].dir);
        free(buf);
    }
    for (size_t i = 0; i < sizeof zips / sizeof zips[0]; i++) {
        snprintf(dir, sizeof dir, "%s/scorm-packages/zips/%s", tu_shared(), zips[i].dir);
        buf = tu_read(dir, &len);
        ok(buf != NULL, "%s: read", zips[i].dir);
        if (buf)
            check_one(&zips[i], buf, len, zips[i].dir);
        free(buf);
    }

    /* The malformed fixture names its line: the unclosed <item> of line 24 meets </organization>
     * on line 27. */
    {
        struct scorm_diag dg;
        cJSON *res = NULL;
        snprintf(dir, sizeof dir, "%s/scorm-packages/edge-cases/MalformedXml_SCORM12", tu_shared());
        buf = tu_zip_package(dir, 0, &len);
        is_int(scorm_import_mem(db, buf, len, NULL, &res, &dg), SCORM_ERR_XML, "malformed: code");
        is_int(dg.line, 27, "malformed: line of the mismatched end tag");
        ok(strstr(dg.msg, "line 27") != NULL, "malformed: message names the line: %s", dg.msg);
        free(buf);
    }

    /* CM-01 with a broken default organization: assembled like the ADL packages, it imports
     * with the first organization and a warning (CAM 3.4.1.4). */
    {
        struct expect e = {"edge-cases/CM-01-broken-default-org", 0, "scorm2004-4th", 3,
                           "names no organization"};
        snprintf(dir, sizeof dir, "%s/scorm-packages/%s", tu_shared(), e.dir);
        buf = tu_zip_package(dir, 1, &len);
        if (buf)
            check_one(&e, buf, len, e.dir);
        free(buf);
    }

    /* The 189 ADL CTS packages. */
    snprintf(dir, sizeof dir, "%s/scorm-packages/adl-cts-2004-4th-lmsrte/Courses", tu_shared());
    d = opendir(dir);
    ok(d != NULL, "ADL Courses folder");
    while (d && (de = readdir(d)) != NULL) {
        char pkg[2048];
        cJSON *res = NULL;
        struct scorm_diag dg;
        if (strncmp(de->d_name, "LMSTestPackage_", 15) != 0)
            continue;
        snprintf(pkg, sizeof pkg, "%s/%s", dir, de->d_name);
        buf = tu_zip_package(pkg, 1, &len);
        int rc = buf ? scorm_import_mem(db, buf, len, NULL, &res, &dg) : -999;
        is_int(rc, 0, "ADL %s imports", de->d_name);
        if (rc)
            tap_diag("%s: %s (%s line %d)", de->d_name, dg.msg, dg.file, dg.line);
        else
            is_str(cJSON_GetStringValue(cJSON_GetObjectItem(res, "version")), "scorm2004-4th",
                   "ADL %s is 4th edition", de->d_name);
        adl++;
        cJSON_Delete(res);
        free(buf);
    }
    if (d)
        closedir(d);
    is_int(adl, 189, "all 189 ADL packages seen");

    stmt_db_close(db);
    tu_fini();
    return tap_done();
}
