/* SPDX-License-Identifier: Apache-2.0 */
/*
 * scorm_manifest_parse on the edge-case fixtures and small inline manifests: exact values of
 * the fields each one exists to test (CAM 1.2 / CAM 4th edition, IMS SS), version detection,
 * encodings, prefixes, xml:base and parameters, sub-manifests.
 */
#include "common/sc_alloc.h"
#include "common/tap.h"
#include "scorm/tests/scorm_test_util.h"

static cJSON *parse_fixture(const char *name, cJSON **warnings)
{
    char path[1024];
    size_t len = 0;
    char *xml;
    cJSON *tree = NULL;
    struct scorm_diag d;
    snprintf(path, sizeof path, "%s/scorm-packages/edge-cases/%s/imsmanifest.xml", tu_shared(),
             name);
    xml = tu_read(path, &len);
    *warnings = cJSON_CreateArray();
    if (!xml || scorm_manifest_parse(xml, len, 0, &tree, *warnings, &d) != 0) {
        tap_diag("%s: %s", name, xml ? d.msg : "unreadable");
        tree = NULL;
    }
    free(xml);
    return tree;
}

static cJSON *parse_str(const char *xml, cJSON **warnings, int *rc, struct scorm_diag *d)
{
    cJSON *tree = NULL;
    *warnings = cJSON_CreateArray();
    *rc = scorm_manifest_parse(xml, strlen(xml), 0, &tree, *warnings, d);
    return tree;
}

static cJSON *item(cJSON *tree, int org, int idx)
{
    cJSON *o = cJSON_GetArrayItem(cJSON_GetObjectItem(tree, "organizations"), org);
    return cJSON_GetArrayItem(cJSON_GetObjectItem(o, "items"), idx);
}

static const char *str(const cJSON *o, const char *k)
{
    return cJSON_GetStringValue(cJSON_GetObjectItem(o, k));
}

static double num(const cJSON *o, const char *k)
{
    return cJSON_GetNumberValue(cJSON_GetObjectItem(o, k));
}

static int flag(const cJSON *o, const char *k)
{
    const cJSON *v = cJSON_GetObjectItem(o, k);
    return cJSON_IsBool(v) ? cJSON_IsTrue(v) : -1;
}

/* the edge-case fixtures of the third-party corpus (../shared/scorm-packages/edge-cases) */
static void fixtures(void)
{
    cJSON *t, *w, *it, *x;

    /* AdlAttributes: item-level dataFromLMS, timeLimitAction, completionThreshold, hideLMSUI,
     * full controlMode; a resource without scormType is an asset */
    t = parse_fixture("AdlAttributes_SCORM20043rdEdition", &w);
    ok(t != NULL, "AdlAttributes parses");
    it = item(t, 0, 0);
    is_str(str(t, "version"), "scorm2004-3rd", "AdlAttributes: 3rd edition");
    is_str(str(it, "datafromlms"), "Launch Data", "dataFromLMS");
    is_str(str(it, "timelimitaction"), "exit,message", "timeLimitAction");
    x = cJSON_GetObjectItem(it, "completionThreshold");
    is_int(flag(x, "completedByMeasure"), 1, "completedByMeasure");
    ok(num(x, "minProgressMeasure") == 0.75, "minProgressMeasure 0.75");
    ok(num(x, "progressWeight") == 1.0, "progressWeight 1.0");
    is_int(cJSON_GetArraySize(cJSON_GetObjectItem(it, "hideLMSUI")), 2, "two hideLMSUI");
    is_str(cJSON_GetStringValue(cJSON_GetArrayItem(cJSON_GetObjectItem(it, "hideLMSUI"), 1)),
           "continue", "hideLMSUI[1]");
    x = cJSON_GetObjectItem(cJSON_GetObjectItem(it, "sequencing"), "controlMode");
    is_int(flag(x, "choice"), 0, "controlMode choice=false");
    is_int(flag(x, "choiceExit"), 0, "controlMode choiceExit=false");
    is_int(flag(x, "flow"), 1, "controlMode flow=true");
    is_int(flag(x, "forwardOnly"), 0, "controlMode forwardOnly=false");
    is_str(str(it, "scormType"), "asset", "no scormType: asset (CAM 3.4.1.18)");
    is_str(str(it, "launch"), "index.html", "launch");
    cJSON_Delete(t);
    cJSON_Delete(w);

    /* Prerequisites / masteryscore / maxtimeallowed / timelimitaction (SCORM 1.2) */
    t = parse_fixture("PrerequisitesTest_SCORM12", &w);
    ok(t != NULL, "PrerequisitesTest parses");
    is_str(str(t, "version"), "scorm12", "1.2");
    it = item(t, 0, 0);
    ok(num(it, "masteryscore") == 80, "masteryscore 80");
    is_str(str(it, "maxtimeallowed"), "02:30:00", "maxtimeallowed");
    is_str(str(cJSON_GetObjectItem(it, "prerequisites"), "type"), "aicc_script",
           "prerequisites type");
    is_str(str(cJSON_GetObjectItem(it, "prerequisites"), "value"), "", "empty prerequisites");
    is_str(str(item(t, 0, 1), "datafromlms"), "custom_data_for_module2", "dataFromLMS (1.2)");
    is_str(str(cJSON_GetObjectItem(item(t, 0, 2), "prerequisites"), "value"), "module1 AND module2",
           "non-standard prerequisites kept as written");
    is_str(str(item(t, 0, 2), "timelimitaction"), "exit,message", "timelimitaction");
    is_str(str(cJSON_GetObjectItem(item(t, 0, 3), "prerequisites"), "value"),
           "(module1 AND module2) OR module3", "prerequisites expression");
    ok(num(item(t, 0, 3), "masteryscore") == 90, "masteryscore 90");
    cJSON_Delete(t);
    cJSON_Delete(w);

    /* a broken default organization falls back to the first with a warning */
    t = parse_fixture("CM-01-broken-default-org", &w);
    ok(t != NULL, "CM-01 broken default parses");
    is_str(str(t, "default_organization"), "CM-01", "fallback to the first organization");
    {
        cJSON *holder = cJSON_CreateObject();
        cJSON_AddItemReferenceToObject(holder, "warnings", w);
        ok(tu_has_warning(holder, "default='NONEXISTENT_ORG' names no organization"),
           "warning names the broken default");
        cJSON_Delete(holder);
    }
    is_str(str(item(t, 0, 0), "launch"), "resources/SequencingTest.htm?tc=CM-01&act=1",
           "launch = xml:base + href + parameters");
    x = cJSON_GetObjectItem(cJSON_GetObjectItem(item(t, 0, 0), "sequencing"), "limitConditions");
    is_str(str(x, "attemptAbsoluteDurationLimit"), "P5Y6M4DT12H30M58S", "duration kept");
    x = cJSON_GetObjectItem(
        cJSON_GetObjectItem(cJSON_GetObjectItem(item(t, 0, 1), "sequencing"), "objectives"),
        "primary");
    is_int(flag(x, "satisfiedByMeasure"), 1, "satisfiedByMeasure");
    ok(num(x, "minNormalizedMeasure") == 0.8, "minNormalizedMeasure 0.8");
    cJSON_Delete(t);
    cJSON_Delete(w);

    /* no schemaversion: version inferred from the namespaces, with a warning */
    t = parse_fixture("ContentPackagingNoSchemaVersion_SCORM20042ndEdition", &w);
    is_str(str(t, "version"), "scorm2004-2nd", "no schemaversion: 2004 2nd inferred");
    ok(cJSON_GetArraySize(w) == 1 &&
           strstr(cJSON_GetArrayItem(w, 0)->valuestring, "schemaversion is missing"),
       "warning about the missing schemaversion");
    cJSON_Delete(t);
    cJSON_Delete(w);

    /* organization without a title: warning; nested first launchable item */
    t = parse_fixture("MissingRequiredFields_SCORM12", &w);
    ok(cJSON_GetArraySize(w) >= 1 && strstr(cJSON_GetArrayItem(w, 0)->valuestring, "no <title>"),
       "missing organization title is a warning");
    is_str(str(t, "title"), "com.example.missing_title", "course title falls back to the id");
    cJSON_Delete(t);
    cJSON_Delete(w);
}

int main(void)
{
    cJSON *t, *w, *it, *x;
    struct scorm_diag d;
    int rc;

    if (tu_corpus("edge-case fixtures"))
        fixtures();

    /* SCORM 1.2 with odd prefixes, ISO-8859-1 and a BOM */
    t = parse_str("\xEF\xBB\xBF<?xml version=\"1.0\" encoding=\"ISO-8859-1\"?>\n"
                  "<cp:manifest identifier=\"m\" "
                  "xmlns:cp=\"http://www.imsproject.org/xsd/imscp_rootv1p1p2\" "
                  "xmlns:ADL=\"http://www.adlnet.org/xsd/adlcp_rootv1p2\">"
                  "<cp:metadata><cp:schemaversion>1.2</cp:schemaversion></cp:metadata>"
                  "<cp:organizations default=\"o\"><cp:organization identifier=\"o\">"
                  "<cp:title>Caf\xe9</cp:title><cp:item identifier=\"i\" identifierref=\"r\" "
                  "isvisible=\"false\" parameters=\"?x=1\"><cp:title>I</cp:title>"
                  "<ADL:masteryscore> 75 </ADL:masteryscore></cp:item></cp:organization>"
                  "</cp:organizations><cp:resources><cp:resource identifier=\"r\" "
                  "type=\"webcontent\" ADL:scormtype=\"SCO\" href=\"Shared\\Page One.html?a=b\">"
                  "</cp:resource></cp:resources></cp:manifest>",
                  &w, &rc, &d);
    is_int(rc, 0, "prefixed ISO-8859-1 manifest with BOM parses");
    is_str(str(t, "title"), "Caf\xc3\xa9", "ISO-8859-1 title converted to UTF-8");
    it = item(t, 0, 0);
    is_int(flag(it, "isvisible"), 0, "isvisible=false");
    ok(num(it, "masteryscore") == 75, "masteryscore with spaces");
    is_str(str(it, "scormType"), "sco", "scormtype compared case-insensitively");
    is_str(str(it, "href"), "Shared/Page One.html", "backslash read as '/', decoded path");
    is_str(str(it, "launch"), "Shared/Page%20One.html?a=b&x=1",
           "launch: encoded path, href query, parameters joined with '&'");
    cJSON_Delete(t);
    cJSON_Delete(w);

    /* xml:base chain manifest -> resources -> resource, dot segments, external links */
    t = parse_str("<manifest identifier=\"b\" xmlns=\"http://www.imsglobal.org/xsd/imscp_v1p1\" "
                  "xmlns:adlcp=\"http://www.adlnet.org/xsd/adlcp_v1p3\" xml:base=\"course/\">"
                  "<organizations default=\"o\"><organization identifier=\"o\"><title>t</title>"
                  "<item identifier=\"i\" identifierref=\"r\" parameters=\"#start\"/>"
                  "<item identifier=\"j\" identifierref=\"e\"/></organization></organizations>"
                  "<resources xml:base=\"res/\"><resource identifier=\"r\" type=\"webcontent\" "
                  "adlcp:scormType=\"sco\" xml:base=\"a/b/\" href=\"../c/./d.html\">"
                  "<file href=\"../c/d.html\"/></resource>"
                  "<resource identifier=\"e\" type=\"webcontent\" adlcp:scormType=\"asset\" "
                  "href=\"https://example.org/page?q=1\"/></resources></manifest>",
                  &w, &rc, &d);
    is_int(rc, 0, "xml:base manifest parses");
    is_str(str(item(t, 0, 0), "href"), "course/res/a/c/d.html", "xml:base chain resolved");
    is_str(str(item(t, 0, 0), "launch"), "course/res/a/c/d.html#start", "fragment parameter");
    is_str(str(item(t, 0, 1), "launch"), "https://example.org/page?q=1", "external link kept");
    is_str(cJSON_GetStringValue(cJSON_GetArrayItem(
               cJSON_GetObjectItem(cJSON_GetArrayItem(cJSON_GetObjectItem(t, "resources"), 0),
                                   "files"),
               0)),
           "course/res/a/c/d.html", "file href resolved");
    cJSON_Delete(t);
    cJSON_Delete(w);

    /* sub-manifest: the referencing item gets the sub-manifest's default organization items */
    t = parse_str("<manifest identifier=\"p\" xmlns=\"http://www.imsglobal.org/xsd/imscp_v1p1\" "
                  "xmlns:adlcp=\"http://www.adlnet.org/xsd/adlcp_v1p3\">"
                  "<organizations default=\"o\"><organization identifier=\"o\"><title>t</title>"
                  "<item identifier=\"i\" identifierref=\"SUB\"><title>s</title></item>"
                  "</organization></organizations><resources/>"
                  "<manifest identifier=\"SUB\" xml:base=\"sub/\"><organizations default=\"so\">"
                  "<organization identifier=\"so\"><title>st</title><item identifier=\"si\" "
                  "identifierref=\"sr\"/></organization></organizations><resources>"
                  "<resource identifier=\"sr\" type=\"webcontent\" adlcp:scormType=\"sco\" "
                  "href=\"x.html\"/></resources></manifest></manifest>",
                  &w, &rc, &d);
    is_int(rc, 0, "sub-manifest parses");
    it = item(t, 0, 0);
    is_str(str(it, "submanifest"), "SUB", "item marked with its sub-manifest");
    is_str(str(cJSON_GetArrayItem(cJSON_GetObjectItem(it, "items"), 0), "launch"), "sub/x.html",
           "sub-manifest item launches through the sub-manifest's xml:base");
    is_int(cJSON_GetArraySize(cJSON_GetObjectItem(t, "submanifests")), 1, "one sub-manifest");
    cJSON_Delete(t);
    cJSON_Delete(w);

    /* IDRef merge: the item's own element replaces the collection's, the rest is kept */
    t = parse_str("<manifest identifier=\"s\" xmlns=\"http://www.imsglobal.org/xsd/imscp_v1p1\" "
                  "xmlns:imsss=\"http://www.imsglobal.org/xsd/imsss\">"
                  "<organizations default=\"o\"><organization identifier=\"o\"><title>t</title>"
                  "<item identifier=\"i\" identifierref=\"r\"><imsss:sequencing IDRef=\" c \">"
                  "<imsss:controlMode flow=\"true\" choice=\"false\"/></imsss:sequencing></item>"
                  "</organization></organizations><resources><resource identifier=\"r\" "
                  "type=\"webcontent\" href=\"a.html\"/></resources>"
                  "<imsss:sequencingCollection><imsss:sequencing ID=\"c\">"
                  "<imsss:controlMode forwardOnly=\"true\"/><imsss:limitConditions "
                  "attemptLimit=\"3\"/></imsss:sequencing></imsss:sequencingCollection>"
                  "</manifest>",
                  &w, &rc, &d);
    is_int(rc, 0, "IDRef manifest parses");
    x = cJSON_GetObjectItem(item(t, 0, 0), "sequencing");
    is_int(flag(cJSON_GetObjectItem(x, "controlMode"), "forwardOnly"), 0,
           "own controlMode replaces the collection's");
    is_int(flag(cJSON_GetObjectItem(x, "controlMode"), "flow"), 1, "own flow=true");
    ok(num(cJSON_GetObjectItem(x, "limitConditions"), "attemptLimit") == 3,
       "collection's limitConditions kept");
    is_str(str(x, "IDRef"), "c", "IDRef recorded (trimmed)");
    cJSON_Delete(t);
    cJSON_Delete(w);

    /* malformed XML reports the first error's line */
    t = parse_str("<manifest identifier=\"m\" xmlns=\"http://www.imsglobal.org/xsd/imscp_v1p1\">"
                  "\n<organizations>\n\n<organization identifier=\"o\">\n</organizations>\n"
                  "</manifest>",
                  &w, &rc, &d);
    is_int(rc, SCORM_ERR_XML, "malformed: SCORM_ERR_XML");
    is_int(d.line, 5, "malformed: line 5");
    ok(t == NULL, "malformed: no tree");
    cJSON_Delete(w);
    return tap_done();
}
