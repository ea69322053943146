/* SPDX-License-Identifier: Apache-2.0 */
#include "common/tap.h"
int main(void)
{
    return tap_done();
}
