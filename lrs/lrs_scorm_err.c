/* SPDX-License-Identifier: Apache-2.0 */
/* The one table that turns scorm/ error codes into HTTP statuses (STYLE.md 3). */
#include "lrs/lrs.h"
#include "scorm/scorm.h"

int lrs_scorm_status(int code)
{
    switch (code) {
    case SCORM_OK:
        return 200;
    case SCORM_ERR_NOTFOUND:
        return 404;
    case SCORM_ERR_EXISTS:
    case SCORM_ERR_IN_USE:
        return 409;
    case SCORM_ERR_ZIP_LIMIT:
    case SCORM_ERR_ZIP_RATIO:
    case SCORM_ERR_MANIFEST_SIZE:
        return 413;
    case SCORM_ERR_NOMEM:
    case SCORM_ERR_IO:
    case SCORM_ERR_STORE:
    case SCORM_ERR_CHILD:
        return 500;
    default:
        return 400;
    }
}
