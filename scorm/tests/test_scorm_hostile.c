/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Hostile corpus (issue 5 "Bad input", security.md §4, §5, T-ZIP): zips and manifests built
 * here with libzip at test time (and patched byte-wise where libzip refuses to write the
 * attack). Each is rejected with its exact error code, and after each DATA/content has no new
 * entry and the course table no new record.
 */
#include <stdint.h>
#include <sys/stat.h>

#include "common/sc_alloc.h"
#include "common/tap.h"
#include "scorm/tests/scorm_test_util.h"

static struct stmt_db *db;
static char datadir[512];
static int nzip, nmanifest;

#define INDEX_HTML "<html><body>SCO</body></html>"

/* A valid SCORM 2004 3rd manifest with hooks for the hostile variants. */
static char *mf(const char *item_extra, const char *href, const char *res_attrs,
                const char *file_href)
{
    struct sc_buf b = SC_BUF_INIT;
    sc_buf_printf(
        &b,
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
        "<manifest identifier=\"hostile\" version=\"1\"\n"
        "  xmlns=\"http://www.imsglobal.org/xsd/imscp_v1p1\"\n"
        "  xmlns:adlcp=\"http://www.adlnet.org/xsd/adlcp_v1p3\"\n"
        "  xmlns:imsss=\"http://www.imsglobal.org/xsd/imsss\">\n"
        "<metadata><schema>ADL SCORM</schema><schemaversion>2004 3rd "
        "Edition</schemaversion></metadata>\n"
        "<organizations default=\"o\"><organization identifier=\"o\"><title>T</title>\n"
        "<item identifier=\"i\" identifierref=\"r\"><title>I</title>%s</item>\n"
        "</organization></organizations>\n"
        "<resources><resource identifier=\"r\" type=\"webcontent\" adlcp:scormType=\"sco\" "
        "href=\"%s\"%s><file href=\"%s\"/></resource></resources>\n"
        "</manifest>\n",
        item_extra, href, res_attrs, file_href);
    return sc_buf_steal(&b, NULL);
}

static char *mf_ok(void)
{
    return mf("", "index.html", "", "index.html");
}

/* Replace every occurrence of `from` by `to` (same length) in buf. */
static int patch(char *buf, size_t len, const char *from, const char *to, size_t n)
{
    int count = 0;
    for (size_t i = 0; i + n <= len; i++)
        if (memcmp(buf + i, from, n) == 0) {
            memcpy(buf + i, to, n);
            count++;
        }
    return count;
}

/* Zip with the valid manifest + index.html, plus one extra entry. */
static char *zip_with(const char *name, const void *data, size_t dlen, size_t *len)
{
    char path[512];
    zip_t *za = tu_zip_new(path, sizeof path);
    char *m = mf_ok();
    tu_zip_add_str(za, "imsmanifest.xml", m);
    tu_zip_add_str(za, "index.html", INDEX_HTML);
    if (name && tu_zip_add(za, name, data, dlen, 0) < 0)
        tap_diag("could not add entry %s", name);
    sc_free(m);
    return tu_zip_finish(za, path, len);
}

/* Zip whose manifest is `m` (consumed) next to index.html. */
static char *zip_manifest(char *m, size_t mlen, size_t *len)
{
    char path[512];
    zip_t *za = tu_zip_new(path, sizeof path);
    tu_zip_add(za, "imsmanifest.xml", m, mlen, 0);
    tu_zip_add_str(za, "index.html", INDEX_HTML);
    sc_free(m);
    return tu_zip_finish(za, path, len);
}

static void expect(const char *label, char *buf, size_t len, const struct scorm_import_opts *o,
                   int want, int is_manifest)
{
    cJSON *res = NULL;
    struct scorm_diag d;
    char *before = tu_snapshot(datadir);
    int n0 = tu_course_count(db);
    int rc = scorm_import_mem(db, buf, len, o, &res, &d);
    char *after = tu_snapshot(datadir);

    is_int(rc, want, "%s %s: rejected with %s", is_manifest ? "manifest" : "zip", label,
           scorm_strerror(want));
    if (rc != want)
        tap_diag("  got: %s (%s line %d)", d.msg, d.file, d.line);
    else if (want != 0)
        tap_diag("  %s", d.msg);
    is_str(after, before, "%s: nothing left in DATA/content", label);
    is_int(tu_course_count(db), n0, "%s: no course record", label);
    ok(res == NULL, "%s: no result", label);
    if (want)
        is_int(d.code, want, "%s: diag code", label);
    cJSON_Delete(res);
    sc_free(before);
    sc_free(after);
    free(buf);
    if (is_manifest)
        nmanifest++;
    else
        nzip++;
}

static void zip_name_case(const char *label, const char *name, int want)
{
    size_t len = 0;
    char *buf = zip_with(name, "x", 1, &len);
    expect(label, buf, len, NULL, want, 0);
}

/* Set the unix mode of entry `name` (symlink, FIFO, device). */
static void zip_mode_case(const char *label, const char *name, unsigned mode, int want)
{
    char path[512], *buf;
    size_t len = 0;
    zip_t *za = tu_zip_new(path, sizeof path);
    char *m = mf_ok();
    tu_zip_add_str(za, "imsmanifest.xml", m);
    tu_zip_add_str(za, "index.html", INDEX_HTML);
    zip_int64_t i = tu_zip_add(za, name, "/etc/passwd", 11, 1);
    zip_file_set_external_attributes(za, (zip_uint64_t)i, 0, ZIP_OPSYS_UNIX,
                                     (zip_uint32_t)mode << 16);
    sc_free(m);
    buf = tu_zip_finish(za, path, &len);
    expect(label, buf, len, NULL, want, 0);
}

/* Locate central directory headers: returns the count, fills offsets of the headers. */
static int central_headers(const unsigned char *z, size_t len, size_t *hdr, int max)
{
    size_t eocd = len - 22;
    while (eocd > 0 && memcmp(z + eocd, "PK\x05\x06", 4) != 0)
        eocd--;
    uint32_t off = (uint32_t)z[eocd + 16] | (uint32_t)z[eocd + 17] << 8 |
                   (uint32_t)z[eocd + 18] << 16 | (uint32_t)z[eocd + 19] << 24;
    int n = 0;
    size_t p = off;
    while (p + 46 <= len && memcmp(z + p, "PK\x01\x02", 4) == 0 && n < max) {
        hdr[n++] = p;
        p += 46 + (z[p + 28] | z[p + 29] << 8) + (z[p + 30] | z[p + 31] << 8) +
             (z[p + 32] | z[p + 33] << 8);
    }
    return n;
}

static void put32(unsigned char *p, uint32_t v)
{
    p[0] = (unsigned char)v;
    p[1] = (unsigned char)(v >> 8);
    p[2] = (unsigned char)(v >> 16);
    p[3] = (unsigned char)(v >> 24);
}

static void hostile_zips(void)
{
    size_t len = 0;
    char *buf, path[512];
    zip_t *za;
    struct scorm_import_opts o;

    /* names (security.md 5.1) */
    zip_name_case("zip slip ../", "../evil.html", SCORM_ERR_ZIP_NAME);
    zip_name_case("zip slip a/../../", "a/../../evil.html", SCORM_ERR_ZIP_NAME);
    zip_name_case("zip slip deep", "a/b/../../../../../../tmp/evil.html", SCORM_ERR_ZIP_NAME);
    zip_name_case("absolute path", "/etc/cron.d/evil", SCORM_ERR_ZIP_NAME);
    zip_name_case("drive letter", "C:/Windows/evil.html", SCORM_ERR_ZIP_NAME);
    zip_name_case("drive letter backslash", "C:\\Windows\\evil.html", SCORM_ERR_ZIP_NAME);
    zip_name_case("backslash escape", "..\\..\\evil.html", SCORM_ERR_ZIP_NAME);
    zip_name_case("backslash escape nested", "a\\..\\..\\evil.html", SCORM_ERR_ZIP_NAME);
    zip_name_case("backslash absolute", "\\etc\\evil", SCORM_ERR_ZIP_NAME);
    zip_name_case("dot component", "./x.html", SCORM_ERR_ZIP_NAME);
    zip_name_case("empty component", "a//b.html", SCORM_ERR_ZIP_NAME);
    zip_name_case("colon in first component", "a:b/x.html", SCORM_ERR_ZIP_NAME);
    zip_name_case("control character",
                  "a\x01"
                  "b.html",
                  SCORM_ERR_ZIP_NAME);
    zip_name_case("newline in name", "a\nb.html", SCORM_ERR_ZIP_NAME);
    zip_name_case("DEL in name",
                  "a\x7f"
                  "b.html",
                  SCORM_ERR_ZIP_NAME);
    zip_name_case("invalid UTF-8", "\xff\xfe.html", SCORM_ERR_ZIP_NAME);
    zip_name_case("overlong UTF-8 slash", "a\xc0\xaf..\xc0\xafx", SCORM_ERR_ZIP_NAME);
    zip_name_case("UTF-8 surrogate", "\xed\xa0\x80.html", SCORM_ERR_ZIP_NAME);
    {
        char longname[1100];
        memset(longname, 'a', sizeof longname - 1);
        longname[sizeof longname - 1] = '\0';
        zip_name_case("name over 1024 bytes", longname, SCORM_ERR_ZIP_NAME);
        struct sc_buf b = SC_BUF_INIT;
        for (int i = 0; i < 33; i++)
            sc_buf_puts(&b, "d/");
        sc_buf_puts(&b, "x.html");
        zip_name_case("deeper than 32 components", b.data, SCORM_ERR_ZIP_NAME);
        sc_buf_free(&b);
    }
    zip_name_case("case-folded duplicate", "INDEX.HTML", SCORM_ERR_ZIP_DUP);
    zip_name_case("case-folded manifest duplicate", "IMSManifest.XML", SCORM_ERR_ZIP_DUP);

    /* types */
    zip_mode_case("symlink entry", "link.html", 0120777, SCORM_ERR_ZIP_TYPE);
    zip_mode_case("symlink named like the manifest dir", "shared", 0120755, SCORM_ERR_ZIP_TYPE);
    zip_mode_case("FIFO entry", "fifo", 0010644, SCORM_ERR_ZIP_TYPE);
    zip_mode_case("character device entry", "dev", 0020644, SCORM_ERR_ZIP_TYPE);
    zip_mode_case("block device entry", "blk", 0060644, SCORM_ERR_ZIP_TYPE);
    zip_mode_case("socket entry", "sock", 0140644, SCORM_ERR_ZIP_TYPE);

    /* exact duplicate: libzip refuses to write it, so write AAAA/BBBB and patch */
    za = tu_zip_new(path, sizeof path);
    {
        char *m = mf_ok();
        tu_zip_add_str(za, "imsmanifest.xml", m);
        sc_free(m);
    }
    tu_zip_add_str(za, "index.html", INDEX_HTML);
    tu_zip_add_str(za, "AAAA.html", "one");
    tu_zip_add_str(za, "BBBB.html", "two");
    buf = tu_zip_finish(za, path, &len);
    patch(buf, len, "BBBB.html", "AAAA.html", 9);
    expect("exact duplicate names", buf, len, NULL, SCORM_ERR_ZIP_DUP, 0);

    /* duplicate after backslash normalisation */
    za = tu_zip_new(path, sizeof path);
    {
        char *m = mf_ok();
        tu_zip_add_str(za, "imsmanifest.xml", m);
        sc_free(m);
    }
    tu_zip_add_str(za, "index.html", INDEX_HTML);
    tu_zip_add_str(za, "sub/a.html", "one");
    tu_zip_add_str(za, "sub\\a.html", "two");
    buf = tu_zip_finish(za, path, &len);
    expect("duplicate after backslash normalisation", buf, len, NULL, SCORM_ERR_ZIP_DUP, 0);

    /* a directory entry and a file of the same name */
    za = tu_zip_new(path, sizeof path);
    {
        char *m = mf_ok();
        tu_zip_add_str(za, "imsmanifest.xml", m);
        sc_free(m);
    }
    tu_zip_add_str(za, "index.html", INDEX_HTML);
    zip_dir_add(za, "same", ZIP_FL_ENC_UTF_8);
    tu_zip_add_str(za, "same", "file");
    buf = tu_zip_finish(za, path, &len);
    expect("directory and file of one name", buf, len, NULL, SCORM_ERR_ZIP_DUP, 0);

    /* a file that another entry needs as a folder */
    za = tu_zip_new(path, sizeof path);
    {
        char *m = mf_ok();
        tu_zip_add_str(za, "imsmanifest.xml", m);
        sc_free(m);
    }
    tu_zip_add_str(za, "index.html", INDEX_HTML);
    tu_zip_add_str(za, "a", "file");
    tu_zip_add_str(za, "a/b.html", "child");
    buf = tu_zip_finish(za, path, &len);
    expect("file used as a folder", buf, len, NULL, SCORM_ERR_ZIP_NAME, 0);

    /* bombs (security.md 5.2) */
    {
        size_t n = 8u << 20;
        char *zeros = calloc(1, n);
        buf = zip_with("bomb.bin", zeros, n, &len);
        expect("ratio bomb 8 MiB of zeros", buf, len, NULL, SCORM_ERR_ZIP_RATIO, 0);

        /* the same with the declared sizes lowered in both headers: caught while inflating */
        buf = zip_with("bomb.bin", zeros, n, &len);
        size_t hdr[8];
        int nh = central_headers((unsigned char *)buf, len, hdr, 8);
        for (int i = 0; i < nh; i++) {
            unsigned char *c = (unsigned char *)buf + hdr[i];
            uint16_t nl = (uint16_t)(c[28] | c[29] << 8);
            if (nl == 8 && memcmp(c + 46, "bomb.bin", 8) == 0) {
                uint32_t loff = (uint32_t)c[42] | (uint32_t)c[43] << 8 | (uint32_t)c[44] << 16 |
                                (uint32_t)c[45] << 24;
                put32(c + 24, 1000);
                put32((unsigned char *)buf + loff + 22, 1000);
            }
        }
        expect("ratio bomb with lying sizes", buf, len, NULL, SCORM_ERR_ZIP, 0);
        free(zeros);
    }
    za = tu_zip_new(path, sizeof path);
    {
        char *m = mf_ok();
        tu_zip_add_str(za, "imsmanifest.xml", m);
        sc_free(m);
        tu_zip_add_str(za, "index.html", INDEX_HTML);
        for (int i = 0; i < 10000; i++) {
            char name[32];
            snprintf(name, sizeof name, "f/%05d", i);
            tu_zip_add(za, name, "", 0, 1);
        }
    }
    buf = tu_zip_finish(za, path, &len);
    expect("count bomb 10,002 entries", buf, len, NULL, SCORM_ERR_ZIP_LIMIT, 0);

    memset(&o, 0, sizeof o);
    o.max_entries = 3;
    za = tu_zip_new(path, sizeof path);
    {
        char *m = mf_ok();
        tu_zip_add_str(za, "imsmanifest.xml", m);
        sc_free(m);
    }
    tu_zip_add_str(za, "index.html", INDEX_HTML);
    tu_zip_add_str(za, "a.html", "a");
    tu_zip_add_str(za, "b.html", "b");
    buf = tu_zip_finish(za, path, &len);
    expect("entry cap (configured 3)", buf, len, &o, SCORM_ERR_ZIP_LIMIT, 0);
    {
        unsigned char *rnd = malloc(60000);
        for (int i = 0; i < 60000; i++)
            rnd[i] = (unsigned char)(i * 7919 + (i >> 3) * 31);
        memset(&o, 0, sizeof o);
        o.max_entry_bytes = 50000;
        buf = zip_with("big.bin", rnd, 60000, &len);
        expect("per-entry cap (configured 50000)", buf, len, &o, SCORM_ERR_ZIP_LIMIT, 0);
        memset(&o, 0, sizeof o);
        o.max_total_bytes = 40000;
        buf = zip_with("big.bin", rnd, 60000, &len);
        expect("total bytes cap (configured 40000)", buf, len, &o, SCORM_ERR_ZIP_LIMIT, 0);
        memset(&o, 0, sizeof o);
        o.max_zip_bytes = 1000;
        buf = zip_with("big.bin", rnd, 60000, &len);
        expect("zip size cap (configured 1000)", buf, len, &o, SCORM_ERR_ZIP_LIMIT, 0);
        memset(&o, 0, sizeof o);
        o.max_ratio = 2;
        {
            size_t n = 2u << 20;
            char *text = malloc(n);
            for (size_t i = 0; i < n; i++)
                text[i] = "scorm "[i % 6];
            buf = zip_with("text.txt", text, n, &len);
            free(text);
        }
        expect("ratio cap (configured 2:1)", buf, len, &o, SCORM_ERR_ZIP_RATIO, 0);
        free(rnd);
    }

    /* broken archives */
    buf = zip_with(NULL, NULL, 0, &len);
    expect("truncated to half", buf, len / 2, NULL, SCORM_ERR_ZIP, 0);
    buf = zip_with(NULL, NULL, 0, &len);
    expect("end of central directory cut", buf, len - 10, NULL, SCORM_ERR_ZIP, 0);
    buf = strdup("<html>this is not a zip</html>");
    expect("not a zip", buf, strlen(buf), NULL, SCORM_ERR_ZIP, 0);
    buf = strdup("");
    expect("zero bytes", buf, 0, NULL, SCORM_ERR_ZIP, 0);
    buf = calloc(1, 22);
    memcpy(buf, "PK\x05\x06", 4);
    expect("empty zip", buf, 22, NULL, SCORM_ERR_ZIP_EMPTY, 0);
    {
        /* CRC mismatch: a stored entry with one byte flipped */
        za = tu_zip_new(path, sizeof path);
        char *m = mf_ok();
        tu_zip_add_str(za, "imsmanifest.xml", m);
        sc_free(m);
        tu_zip_add(za, "index.html", INDEX_HTML, strlen(INDEX_HTML), 1);
        buf = tu_zip_finish(za, path, &len);
        patch(buf, len, "<body>SCO", "<body>XCO", 9);
        expect("CRC mismatch", buf, len, NULL, SCORM_ERR_ZIP, 0);
    }
    {
        /* overlapping entries: the second central header points at the first local header */
        za = tu_zip_new(path, sizeof path);
        char *m = mf_ok();
        tu_zip_add_str(za, "imsmanifest.xml", m);
        sc_free(m);
        tu_zip_add_str(za, "index.html", INDEX_HTML);
        tu_zip_add_str(za, "other.html", INDEX_HTML);
        buf = tu_zip_finish(za, path, &len);
        size_t hdr[8];
        int nh = central_headers((unsigned char *)buf, len, hdr, 8);
        if (nh == 3)
            memcpy(buf + hdr[2] + 42, buf + hdr[1] + 42, 4);
        expect("overlapping entries", buf, len, NULL, SCORM_ERR_ZIP, 0);
    }
    {
        int enc_ok = zip_encryption_method_supported(ZIP_EM_TRAD_PKWARE, 1);
        int method = enc_ok ? ZIP_EM_TRAD_PKWARE : ZIP_EM_AES_256;
        za = tu_zip_new(path, sizeof path);
        char *m = mf_ok();
        tu_zip_add_str(za, "imsmanifest.xml", m);
        sc_free(m);
        zip_int64_t i = tu_zip_add(za, "index.html", INDEX_HTML, strlen(INDEX_HTML), 0);
        zip_file_set_encryption(za, (zip_uint64_t)i, (zip_uint16_t)method, "secret");
        buf = tu_zip_finish(za, path, &len);
        expect("encrypted entry", buf, len, NULL, SCORM_ERR_ZIP_ENCRYPTED, 0);
    }

    /* manifest placement */
    za = tu_zip_new(path, sizeof path);
    tu_zip_add_str(za, "index.html", INDEX_HTML);
    buf = tu_zip_finish(za, path, &len);
    expect("no manifest", buf, len, NULL, SCORM_ERR_NO_MANIFEST, 0);
    za = tu_zip_new(path, sizeof path);
    {
        char *m = mf_ok();
        tu_zip_add_str(za, "a/b/imsmanifest.xml", m);
        tu_zip_add_str(za, "a/b/index.html", INDEX_HTML);
        sc_free(m);
    }
    buf = tu_zip_finish(za, path, &len);
    expect("manifest two folders down", buf, len, NULL, SCORM_ERR_NO_MANIFEST, 0);
    za = tu_zip_new(path, sizeof path);
    {
        char *m = mf_ok();
        tu_zip_add_str(za, "one/imsmanifest.xml", m);
        tu_zip_add_str(za, "two/index.html", INDEX_HTML);
        sc_free(m);
    }
    buf = tu_zip_finish(za, path, &len);
    expect("manifest in one of two top folders", buf, len, NULL, SCORM_ERR_NO_MANIFEST, 0);
    za = tu_zip_new(path, sizeof path);
    zip_dir_add(za, "imsmanifest.xml", ZIP_FL_ENC_UTF_8);
    tu_zip_add_str(za, "index.html", INDEX_HTML);
    buf = tu_zip_finish(za, path, &len);
    expect("manifest is a directory", buf, len, NULL, SCORM_ERR_NO_MANIFEST, 0);
    zip_mode_case("manifest is a symlink", "sub/imsmanifest.xml", 0120777, SCORM_ERR_ZIP_TYPE);
}

static void manifest_case(const char *label, const char *xml, int want)
{
    size_t len = 0;
    char *m = sc_strdup(xml);
    char *buf = zip_manifest(m, strlen(xml), &len);
    expect(label, buf, len, NULL, want, 1);
}

static void manifest_case_own(const char *label, char *m, size_t mlen, int want)
{
    size_t len = 0;
    char *buf = zip_manifest(m, mlen, &len);
    expect(label, buf, len, NULL, want, 1);
}

static void href_case(const char *label, const char *href, const char *res_attrs,
                      const char *file_href, int want)
{
    char *m = mf("", href, res_attrs, file_href);
    manifest_case_own(label, m, strlen(m), want);
}

#define HEAD                                                                                       \
    "<manifest identifier=\"h\" xmlns=\"http://www.imsglobal.org/xsd/imscp_v1p1\" "                \
    "xmlns:adlcp=\"http://www.adlnet.org/xsd/adlcp_v1p3\" "                                        \
    "xmlns:imsss=\"http://www.imsglobal.org/xsd/imsss\">"
#define RES                                                                                        \
    "<resources><resource identifier=\"r\" type=\"webcontent\" adlcp:scormType=\"sco\" "           \
    "href=\"index.html\"/></resources>"

static void hostile_manifests(void)
{
    struct sc_buf b = SC_BUF_INIT;

    manifest_case("XXE file entity",
                  "<?xml version=\"1.0\"?>\n<!DOCTYPE manifest [<!ENTITY x SYSTEM "
                  "\"file:///etc/passwd\">]>\n" HEAD "<organizations/>&x;" RES "</manifest>",
                  SCORM_ERR_XML_DOCTYPE);
    manifest_case("billion laughs",
                  "<?xml version=\"1.0\"?>\n<!DOCTYPE lolz [<!ENTITY lol \"lol\">"
                  "<!ENTITY lol1 \"&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;\">"
                  "<!ENTITY lol2 \"&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;\">"
                  "<!ENTITY lol3 \"&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;\">"
                  "<!ENTITY lol4 \"&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;\">"
                  "<!ENTITY lol5 \"&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;\">"
                  "<!ENTITY lol6 \"&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;\">"
                  "<!ENTITY lol7 \"&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;\">"
                  "<!ENTITY lol8 \"&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;\">"
                  "<!ENTITY lol9 \"&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;\">]>\n"
                  "<lolz>&lol9;</lolz>",
                  SCORM_ERR_XML_DOCTYPE);
    manifest_case("external DTD",
                  "<?xml version=\"1.0\"?>\n<!DOCTYPE manifest SYSTEM "
                  "\"http://127.0.0.1:9/evil.dtd\">\n" HEAD RES "</manifest>",
                  SCORM_ERR_XML_DOCTYPE);
    manifest_case("plain DOCTYPE", "<!DOCTYPE manifest>\n" HEAD RES "</manifest>",
                  SCORM_ERR_XML_DOCTYPE);
    manifest_case("parameter entity",
                  "<!DOCTYPE m [<!ENTITY % p SYSTEM \"http://127.0.0.1:9/p\"> %p;]>\n" HEAD RES
                  "</manifest>",
                  SCORM_ERR_XML_DOCTYPE);
    manifest_case("undeclared entity reference",
                  HEAD "<organizations>&foo;</organizations>" RES "</manifest>", SCORM_ERR_XML);
    /* oversize: 1 MiB + 1 */
    {
        char *m = mf_ok();
        size_t ml = strlen(m);
        size_t n = (1u << 20) + 1;
        char *big = sc_malloc(n);
        /* incompressible padding in a comment, so the ratio cap is not what trips */
        uint32_t x = 12345;
        memcpy(big, m, ml);
        memcpy(big + ml, "<!--", 4);
        for (size_t i = ml + 4; i < n - 3; i++) {
            x = x * 1103515245u + 12345u;
            big[i] = (char)('a' + (x >> 16) % 26);
        }
        memcpy(big + n - 3, "-->", 3);
        sc_free(m);
        manifest_case_own("oversize manifest (1 MiB + 1)", big, n, SCORM_ERR_MANIFEST_SIZE);
    }
    /* depth 300 */
    sc_buf_init(&b, 0);
    sc_buf_puts(&b, HEAD "<metadata>");
    for (int i = 0; i < 300; i++)
        sc_buf_puts(&b, "<x>");
    for (int i = 0; i < 300; i++)
        sc_buf_puts(&b, "</x>");
    sc_buf_puts(&b, "</metadata>" RES "</manifest>");
    manifest_case("element depth 300", b.data, SCORM_ERR_XML_LIMIT);
    sc_buf_free(&b);
    /* node budget: 100,001 empty elements */
    sc_buf_init(&b, 0);
    sc_buf_puts(&b, HEAD "<metadata>");
    for (int i = 0; i < 100001; i++)
        sc_buf_puts(&b, "<x/>");
    sc_buf_puts(&b, "</metadata>" RES "</manifest>");
    manifest_case("more than 100,000 nodes", b.data, SCORM_ERR_XML_LIMIT);
    sc_buf_free(&b);
    /* encodings */
    {
        const char *src = "<?xml version=\"1.0\" encoding=\"UTF-16\"?><manifest/>";
        size_t n = strlen(src);
        char *u16 = sc_malloc(2 * n + 2);
        u16[0] = (char)0xFF;
        u16[1] = (char)0xFE;
        for (size_t i = 0; i < n; i++) {
            u16[2 + 2 * i] = src[i];
            u16[3 + 2 * i] = 0;
        }
        manifest_case_own("UTF-16LE with BOM", u16, 2 * n + 2, SCORM_ERR_XML_ENCODING);
        u16 = sc_malloc(2 * n);
        for (size_t i = 0; i < n; i++) {
            u16[2 * i] = 0;
            u16[2 * i + 1] = src[i];
        }
        manifest_case_own("UTF-16BE without BOM", u16, 2 * n, SCORM_ERR_XML_ENCODING);
    }
    manifest_case("declared UTF-16 in ASCII",
                  "<?xml version=\"1.0\" encoding=\"UTF-16\"?>" HEAD RES "</manifest>",
                  SCORM_ERR_XML_ENCODING);
    manifest_case("declared Shift_JIS",
                  "<?xml version=\"1.0\" encoding=\"Shift_JIS\"?>" HEAD RES "</manifest>",
                  SCORM_ERR_XML_ENCODING);
    manifest_case("declared EBCDIC",
                  "<?xml version='1.0' encoding='IBM037'?>" HEAD RES "</manifest>",
                  SCORM_ERR_XML_ENCODING);
    /* malformed */
    manifest_case("unclosed element",
                  HEAD "\n<organizations>\n<organization identifier=\"o\">\n"
                       "</organizations>" RES "</manifest>",
                  SCORM_ERR_XML);
    manifest_case("not XML", "hello, world", SCORM_ERR_XML);
    manifest_case("BOM only", "\xEF\xBB\xBF", SCORM_ERR_XML);
    {
        char *m = sc_malloc(40);
        memcpy(m, "<manifest identifier=\"a\0b\"/>", 29);
        manifest_case_own("NUL byte", m, 29, SCORM_ERR_XML);
    }
    manifest_case("invalid UTF-8 text",
                  HEAD "<organizations>\xff\xfe</organizations>" RES "</manifest>", SCORM_ERR_XML);
    manifest_case("two root elements", HEAD RES "</manifest><manifest/>", SCORM_ERR_XML);
    /* structure */
    manifest_case("root is not a manifest", "<html><body/></html>", SCORM_ERR_MANIFEST);
    manifest_case("manifest in a foreign namespace",
                  "<manifest identifier=\"x\" xmlns=\"http://evil.example/ns\"/>",
                  SCORM_ERR_MANIFEST);
    manifest_case("manifest without identifier",
                  "<manifest xmlns=\"http://www.imsglobal.org/xsd/imscp_v1p1\"/>",
                  SCORM_ERR_MANIFEST);
    manifest_case("organization without identifier",
                  HEAD "<organizations><organization><title>t</title></organization>"
                       "</organizations>" RES "</manifest>",
                  SCORM_ERR_MANIFEST);
    manifest_case("item without identifier",
                  HEAD "<organizations default=\"o\"><organization identifier=\"o\"><item "
                       "identifierref=\"r\"/></organization></organizations>" RES "</manifest>",
                  SCORM_ERR_MANIFEST);
    manifest_case("resource without identifier",
                  HEAD "<resources><resource type=\"webcontent\" href=\"index.html\"/>"
                       "</resources></manifest>",
                  SCORM_ERR_MANIFEST);
    manifest_case("duplicate resource identifier",
                  HEAD "<resources><resource identifier=\"r\" type=\"webcontent\" "
                       "href=\"index.html\"/><resource identifier=\"r\" type=\"webcontent\" "
                       "href=\"index.html\"/></resources></manifest>",
                  SCORM_ERR_MANIFEST);
    manifest_case("item references a missing resource",
                  HEAD
                  "<organizations default=\"o\"><organization identifier=\"o\"><item "
                  "identifier=\"i\" identifierref=\"nope\"/></organization></organizations>" RES
                  "</manifest>",
                  SCORM_ERR_RESOURCE_MISSING);
    {
        char *m = mf("<imsss:sequencing IDRef=\"nowhere\"/>", "index.html", "", "index.html");
        manifest_case_own("sequencing IDRef to nothing", m, strlen(m), SCORM_ERR_RESOURCE_MISSING);
        m = mf("<imsss:sequencing><imsss:sequencingRules><imsss:preConditionRule><imsss:"
               "ruleConditions><imsss:ruleCondition condition=\"satisfied\"/></"
               "imsss:ruleConditions></imsss:preConditionRule></imsss:sequencingRules></"
               "imsss:sequencing>",
               "index.html", "", "index.html");
        manifest_case_own("sequencing rule without action", m, strlen(m), SCORM_ERR_MANIFEST);
    }
    /* hrefs (security.md 5.3) */
    href_case("href ../ escape", "../evil.html", "", "index.html", SCORM_ERR_HREF);
    href_case("href absolute path", "/etc/passwd", "", "index.html", SCORM_ERR_HREF);
    href_case("href file: scheme", "file:///etc/passwd", "", "index.html", SCORM_ERR_HREF);
    href_case("href javascript: scheme", "javascript:alert(1)", "", "index.html", SCORM_ERR_HREF);
    href_case("href data: scheme", "data:text/html,&lt;script&gt;", "", "index.html",
              SCORM_ERR_HREF);
    href_case("href drive letter", "C:\\evil\\x.html", "", "index.html", SCORM_ERR_HREF);
    href_case("href backslash escape", "..\\..\\evil.html", "", "index.html", SCORM_ERR_HREF);
    href_case("href percent-encoded escape", "%2e%2e/%2e%2e/evil.html", "", "index.html",
              SCORM_ERR_HREF);
    href_case("href encoded backslash escape", "..%5c..%5cevil.html", "", "index.html",
              SCORM_ERR_HREF);
    href_case("href bad escape", "a%zz.html", "", "index.html", SCORM_ERR_HREF);
    href_case("href %00", "index.html%00.jpg", "", "index.html", SCORM_ERR_HREF);
    href_case("xml:base escape", "index.html", " xml:base=\"../../\"", "index.html",
              SCORM_ERR_HREF);
    href_case("xml:base encoded escape", "index.html", " xml:base=\"%2e%2e/\"", "index.html",
              SCORM_ERR_HREF);
    href_case("xml:base file: scheme", "index.html", " xml:base=\"file:///etc/\"", "index.html",
              SCORM_ERR_HREF);
    href_case("xml:base absolute path", "index.html", " xml:base=\"/var/\"", "index.html",
              SCORM_ERR_HREF);
    href_case("file href escape", "index.html", "", "../../../etc/passwd", SCORM_ERR_HREF);
    /* package checks */
    href_case("missing launch file", "nothere.html", "", "nothere.html", SCORM_ERR_LAUNCH_MISSING);
    manifest_case("no launchable item",
                  HEAD "<organizations default=\"o\"><organization identifier=\"o\"><item "
                       "identifier=\"i\"><title>x</title></item></organization></organizations>" RES
                       "</manifest>",
                  SCORM_ERR_NO_LAUNCH);
    manifest_case("no organizations", HEAD RES "</manifest>", SCORM_ERR_NO_LAUNCH);
    manifest_case("resource without href",
                  HEAD "<organizations default=\"o\"><organization identifier=\"o\"><item "
                       "identifier=\"i\" identifierref=\"r\"/></organization></organizations>"
                       "<resources><resource identifier=\"r\" type=\"webcontent\" "
                       "adlcp:scormType=\"sco\"/></resources></manifest>",
                  SCORM_ERR_NO_LAUNCH);
}

int main(void)
{
    size_t len = 0;
    cJSON *res = NULL;
    struct scorm_diag d;

    tu_init();
    db = tu_db_open(datadir, sizeof datadir);

    /* control: the valid base package imports, so each rejection is the mutation's */
    {
        char *buf = zip_with(NULL, NULL, 0, &len);
        is_int(scorm_import_mem(db, buf, len, NULL, &res, &d), 0, "control package imports");
        is_int(scorm_course_delete(db, "hostile"), 0, "control package deleted");
        cJSON_Delete(res);
        free(buf);
    }
    hostile_zips();
    hostile_manifests();
    ok(nzip >= 40, "at least 40 hostile zips (%d)", nzip);
    ok(nmanifest >= 30, "at least 30 hostile manifests (%d)", nmanifest);
    is_int(tu_course_count(db), 0, "no course stored at the end");
    {
        char *snap = tu_snapshot(datadir);
        is_str(snap, "", "DATA/content is empty at the end");
        sc_free(snap);
    }
    stmt_db_close(db);
    tu_fini();
    return tap_done();
}
