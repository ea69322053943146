/* SPDX-License-Identifier: Apache-2.0 */
/* The route tables: first match wins; a path ending in '*' is a prefix. One line per route. */
#include "lrs/lrs.h"
#include "lrs/lrs_console.h"
#include "lrs/fwd.h"

#include <stddef.h>

const struct lrs_route lrs_api_routes[] = {
    {"GET", "/healthz", LRS_AUTH_NONE, lrs_route_healthz},
    {"GET", "/readyz", LRS_AUTH_NONE, lrs_route_readyz},
    {"GET", "/metrics", LRS_AUTH_ADMIN, lrs_route_metrics},
    {"GET", "/xapi/about", LRS_AUTH_NONE, lrs_route_about},
    {"GET", "/", LRS_AUTH_NONE, lrs_route_console},
    {"GET", "/web/*", LRS_AUTH_NONE, lrs_route_console},
    {"GET", "/favicon.ico", LRS_AUTH_NONE, lrs_route_favicon},
    {NULL, "/api/session", LRS_AUTH_NONE, lrs_route_session}, /* signs in: cookie checked inside */
    {NULL, "/api/users*", LRS_AUTH_ADMIN, lrs_route_users},
    {NULL, "/api/learners*", LRS_AUTH_ADMIN, lrs_route_learners},
    {NULL, "/api/credentials*", LRS_AUTH_ADMIN, lrs_route_credentials},
    {NULL, "/xapi/statements", LRS_AUTH_XAPI, lrs_route_statements},
    {NULL, "/api/courses*", LRS_AUTH_ADMIN, lrs_route_courses},
    {NULL, "/api/registrations/*", LRS_AUTH_ADMIN, lrs_route_navigation}, /* else delegates */
    {NULL, "/api/registrations*", LRS_AUTH_ADMIN, lrs_route_registrations},
    {NULL, "/xapi/activities/state", LRS_AUTH_XAPI, lrs_route_state},
    {NULL, "/xapi/activities/profile", LRS_AUTH_XAPI, lrs_route_activity_profile},
    {NULL, "/xapi/agents/profile", LRS_AUTH_XAPI, lrs_route_agent_profile},
    {NULL, "/xapi/activities", LRS_AUTH_XAPI, lrs_route_activities},
    {NULL, "/xapi/agents", LRS_AUTH_XAPI, lrs_route_agents},
    {NULL, "/api/reports/activity", LRS_AUTH_ADMIN, lrs_route_report_activity},
    {NULL, "/api/reports/course", LRS_AUTH_ADMIN, lrs_route_report_course},
    {NULL, "/api/reports/learner", LRS_AUTH_ADMIN, lrs_route_report_learner},
    {NULL, "/api/export/statements", LRS_AUTH_ADMIN, lrs_route_export},
    {NULL, "/api/backup", LRS_AUTH_ADMIN, lrs_route_backup},
    {NULL, "/api/statements", LRS_AUTH_ADMIN, lrs_route_statements_console},
    {NULL, "/api/forwarders*", LRS_AUTH_ADMIN, lrs_route_forwarders},
    {NULL, "/api/webhooks*", LRS_AUTH_ADMIN, lrs_route_webhooks},
    {NULL, "/api/cmi5/*", LRS_AUTH_ADMIN, lrs_route_cmi5_api},
    {NULL, "/cmi5/fetch/*", LRS_AUTH_NONE, lrs_route_cmi5_fetch}, /* the key in the URL */
    /* Unknown paths under the protected prefixes: authentication first, then 404. */
    {NULL, "/xapi/*", LRS_AUTH_XAPI, lrs_route_not_found},
    {NULL, "/api/*", LRS_AUTH_ADMIN, lrs_route_not_found},
    {NULL, NULL, LRS_AUTH_NONE, NULL},
};

const struct lrs_route lrs_content_routes[] = {
    {"GET", "/healthz", LRS_AUTH_NONE, lrs_route_healthz},
    {"GET", "/readyz", LRS_AUTH_NONE, lrs_route_readyz},
    {"GET", "/favicon.ico", LRS_AUTH_NONE, lrs_route_favicon},
    {NULL, "/player/*", LRS_AUTH_NONE, lrs_route_player}, /* launch token, checked inside */
    {"GET", "/runtime/*", LRS_AUTH_NONE, lrs_route_runtime},
    {"GET", "/content/*", LRS_AUTH_NONE, lrs_route_content},
    {"GET", "/cmi5/content/*", LRS_AUTH_NONE, lrs_route_cmi5_content},
    {"GET", "/cmi5/launch/*", LRS_AUTH_NONE, lrs_route_cmi5_launch}, /* link token inside */
    {NULL, NULL, LRS_AUTH_NONE, NULL},
};
