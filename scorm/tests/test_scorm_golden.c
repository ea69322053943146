/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Golden test: the parsed tree (and parse warnings) of every golf-* package and every ADL CTS
 * package is compared with scorm/tests/golden/<package>.json. Run with --regen to rewrite the
 * expected files after a deliberate change, then review the diff by hand against the
 * manifests before committing.
 */
#include <dirent.h>

#include "common/sc_alloc.h"
#include "common/tap.h"
#include "scorm/tests/scorm_test_util.h"

static int regen;

static void golden_one(const char *pkgdir, const char *name)
{
    char path[4096], gpath[4096];
    size_t len = 0, glen = 0;
    char *xml, *want, *got = NULL;
    cJSON *tree = NULL, *warnings = cJSON_CreateArray(), *doc = cJSON_CreateObject();
    struct scorm_diag d;
    const char *src = getenv("SRC_DIR");

    snprintf(path, sizeof path, "%s/imsmanifest.xml", pkgdir);
    snprintf(gpath, sizeof gpath, "%s/tests/golden/%s.json", src ? src : ".", name);
    xml = tu_read(path, &len);
    if (!ok(xml != NULL, "%s: manifest read", name))
        goto out;
    int rc = scorm_manifest_parse(xml, len, 0, &tree, warnings, &d);
    is_int(rc, 0, "%s: parses", name);
    if (rc) {
        tap_diag("%s", d.msg);
        goto out;
    }
    cJSON_AddItemToObject(doc, "tree", tree);
    cJSON_AddItemToObject(doc, "warnings", warnings);
    warnings = NULL;
    got = cJSON_Print(doc);
    if (regen) {
        FILE *f = fopen(gpath, "w");
        ok(f != NULL, "%s: regenerated %s", name, gpath);
        if (f) {
            fputs(got, f);
            fputc('\n', f);
            fclose(f);
        }
        goto out;
    }
    want = tu_read(gpath, &glen);
    if (!ok(want != NULL, "%s: golden file %s exists", name, gpath))
        goto out;
    while (glen > 0 && want[glen - 1] == '\n')
        want[--glen] = '\0';
    ok(strcmp(got, want) == 0, "%s: tree equals the golden JSON", name);
    if (strcmp(got, want) != 0) {
        size_t i = 0;
        while (got[i] && got[i] == want[i])
            i++;
        tap_diag("first difference at byte %zu: got '%.60s' want '%.60s'", i, got + i, want + i);
    }
    free(want);
out:
    cJSON_free(got);
    cJSON_Delete(doc);
    cJSON_Delete(warnings);
    free(xml);
}

int main(int argc, char **argv)
{
    char dir[2048];
    DIR *d;
    struct dirent *de;
    int golf = 0, adl = 0;

    regen = argc > 1 && strcmp(argv[1], "--regen") == 0;
    snprintf(dir, sizeof dir, "%s/scorm-packages", tu_shared());
    d = opendir(dir);
    ok(d != NULL, "corpus folder %s", dir);
    while (d && (de = readdir(d)) != NULL) {
        char pkg[4096];
        if (strncmp(de->d_name, "golf-", 5) != 0)
            continue;
        snprintf(pkg, sizeof pkg, "%s/%s", dir, de->d_name);
        golden_one(pkg, de->d_name);
        golf++;
    }
    if (d)
        closedir(d);
    is_int(golf, 17, "17 golf packages");

    snprintf(dir, sizeof dir, "%s/scorm-packages/adl-cts-2004-4th-lmsrte/Courses", tu_shared());
    d = opendir(dir);
    ok(d != NULL, "ADL Courses folder");
    while (d && (de = readdir(d)) != NULL) {
        char pkg[4096];
        if (strncmp(de->d_name, "LMSTestPackage_", 15) != 0)
            continue;
        snprintf(pkg, sizeof pkg, "%s/%s", dir, de->d_name);
        golden_one(pkg, de->d_name);
        adl++;
    }
    if (d)
        closedir(d);
    is_int(adl, 189, "189 ADL packages");
    return tap_done();
}
