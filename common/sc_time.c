/* SPDX-License-Identifier: Apache-2.0 */
/* Time helpers; see sc_time.h. Calendar math is done by hand (days from civil) so parsing
 * never depends on the process time zone or locale. */
#include "common/sc_time.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

int64_t sc_time_now_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

int64_t sc_time_mono_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

/* Howard Hinnant's days_from_civil / civil_from_days. */
static int64_t days_from_civil(int64_t y, unsigned m, unsigned d)
{
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    unsigned yoe = (unsigned)(y - era * 400);
    unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + (int64_t)doe - 719468;
}

static void civil_from_days(int64_t z, int64_t *y, unsigned *m, unsigned *d)
{
    z += 719468;
    int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    unsigned doe = (unsigned)(z - era * 146097);
    unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    int64_t yy = (int64_t)yoe + era * 400;
    unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    unsigned mp = (5 * doy + 2) / 153;
    *d = doy - (153 * mp + 2) / 5 + 1;
    *m = mp < 10 ? mp + 3 : mp - 9;
    *y = yy + (*m <= 2);
}

static void split(int64_t us, int64_t *days, int64_t *sod, int64_t *frac)
{
    int64_t secs = us >= 0 ? us / 1000000 : -((-us + 999999) / 1000000);
    *frac = us - secs * 1000000;
    *days = secs >= 0 ? secs / 86400 : -((-secs + 86399) / 86400);
    *sod = secs - *days * 86400;
}

static char *put_digits(char *p, unsigned v, int n)
{
    for (int i = n - 1; i >= 0; i--) {
        p[i] = (char)('0' + v % 10);
        v /= 10;
    }
    return p + n;
}

char *sc_time_format_iso(int64_t us, int digits, char out[SC_TIME_ISO_LEN])
{
    int64_t days, sod, frac, y;
    unsigned m, d;
    char *p = out;
    split(us, &days, &sod, &frac);
    civil_from_days(days, &y, &m, &d);
    /* by hand (the writer formats one per stored statement; snprintf costs ten times more),
     * snprintf's "%04lld" outside 0000..9999 */
    if (y >= 0 && y <= 9999)
        p = put_digits(p, (unsigned)y, 4);
    else
        p += snprintf(p, 24, "%04lld", (long long)y);
    *p++ = '-';
    p = put_digits(p, m, 2);
    *p++ = '-';
    p = put_digits(p, d, 2);
    *p++ = 'T';
    p = put_digits(p, (unsigned)(sod / 3600), 2);
    *p++ = ':';
    p = put_digits(p, (unsigned)(sod / 60 % 60), 2);
    *p++ = ':';
    p = put_digits(p, (unsigned)(sod % 60), 2);
    if (digits == 3) {
        *p++ = '.';
        p = put_digits(p, (unsigned)(frac / 1000), 3);
    } else if (digits == 6) {
        *p++ = '.';
        p = put_digits(p, (unsigned)frac, 6);
    }
    *p++ = 'Z';
    *p = '\0';
    return out;
}

char *sc_time_format_http(int64_t us, char out[SC_TIME_ISO_LEN])
{
    static const char *wd[] = {"Thu", "Fri", "Sat", "Sun", "Mon", "Tue", "Wed"};
    static const char *mo[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                               "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
    int64_t days, sod, frac, y;
    unsigned m, d;
    split(us, &days, &sod, &frac);
    civil_from_days(days, &y, &m, &d);
    int w = (int)(((days % 7) + 7) % 7);
    snprintf(out, SC_TIME_ISO_LEN, "%s, %02u %s %04lld %02d:%02d:%02d GMT", wd[w], d, mo[m - 1],
             (long long)y, (int)(sod / 3600), (int)(sod / 60 % 60), (int)(sod % 60));
    return out;
}

static int digits_at(const char *s, size_t n, size_t pos, int count, int *val)
{
    int v = 0;
    if (pos + (size_t)count > n)
        return -1;
    for (int i = 0; i < count; i++) {
        char c = s[pos + (size_t)i];
        if (c < '0' || c > '9')
            return -1;
        v = v * 10 + (c - '0');
    }
    *val = v;
    return 0;
}

int sc_time_parse_iso(const char *s, size_t n, int64_t *us)
{
    int Y, M, D, h, mi, sec, oh = 0, om = 0;
    size_t p = 0;
    int64_t frac = 0;

    if (digits_at(s, n, 0, 4, &Y) || n < 19 || s[4] != '-' || digits_at(s, n, 5, 2, &M) ||
        s[7] != '-' || digits_at(s, n, 8, 2, &D) || (s[10] != 'T' && s[10] != 't') ||
        digits_at(s, n, 11, 2, &h) || s[13] != ':' || digits_at(s, n, 14, 2, &mi) || s[16] != ':' ||
        digits_at(s, n, 17, 2, &sec))
        return -1;
    p = 19;
    if (p < n && s[p] == '.') {
        int nd = 0;
        int64_t scale = 100000;
        p++;
        while (p < n && s[p] >= '0' && s[p] <= '9') {
            if (nd < 6) {
                frac += (s[p] - '0') * scale;
                scale /= 10;
            }
            nd++;
            p++;
        }
        if (nd == 0)
            return -1;
    }
    if (p >= n)
        return -1; /* no zone designator */
    if (s[p] == 'Z' || s[p] == 'z') {
        p++;
    } else if (s[p] == '+' || s[p] == '-') {
        int neg = s[p] == '-';
        p++;
        if (digits_at(s, n, p, 2, &oh))
            return -1;
        p += 2;
        if (p < n && s[p] == ':') {
            if (digits_at(s, n, p + 1, 2, &om))
                return -1;
            p += 3;
        } else if (p < n) {
            if (digits_at(s, n, p, 2, &om))
                return -1;
            p += 2;
        }
        /* xAPI Data 4.5: "-00:00" and its short forms mean an unknown offset: reject. */
        if (neg && oh == 0 && om == 0)
            return -1;
        if (oh > 23 || om > 59)
            return -1;
        if (neg) {
            oh = -oh;
            om = -om;
        }
    } else {
        return -1;
    }
    if (p != n)
        return -1;
    if (M < 1 || M > 12 || D < 1 || h > 23 || mi > 59 || sec > 60)
        return -1;
    static const int mdays[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    int leap = (Y % 4 == 0 && Y % 100 != 0) || Y % 400 == 0;
    if (D > mdays[M - 1] || (M == 2 && D == 29 && !leap))
        return -1;
    int64_t days = days_from_civil(Y, (unsigned)M, (unsigned)D);
    int64_t secs = days * 86400 + h * 3600 + mi * 60 + (sec == 60 ? 59 : sec);
    secs -= (int64_t)oh * 3600 + (int64_t)om * 60;
    *us = secs * 1000000 + frac;
    return 0;
}
