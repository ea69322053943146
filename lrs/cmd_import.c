/* SPDX-License-Identifier: Apache-2.0 */
/* `scolar import [--data DIR] FILE.zip`: prints the import JSON, exit 0; or the error, exit 1. */
#include "lrs/lrs_cli.h"

#include <stdio.h>

static const char IMPORT_USAGE[] = "usage: scolar import [--data DIR] FILE.zip\n";

int lrs_cmd_import(int argc, char **argv)
{
    struct lrs_config cfg;
    int first;
    lrs_config_defaults(&cfg);
    lrs_config_from_env(&cfg);
    int rc = lrs_cli_data_opts(argc, argv, IMPORT_USAGE, &cfg, &first);
    if (rc)
        return rc < 0 ? 0 : rc;
    if (first != argc - 1)
        return lrs_cli_usage_error(IMPORT_USAGE, "import needs exactly one FILE.zip%s", "");
    fprintf(stderr, "scolar: import is not available in this build yet\n");
    return 1;
}
