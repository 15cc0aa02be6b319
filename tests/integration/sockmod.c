/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* sockmod.c - a shared module that test_default.c loads with dlopen(3):
 * code that knows nothing of stacks and calls socket(2). */
#include <sys/socket.h>

int it_sockmod_socket(int domain, int type, int protocol);

/* it_sockmod_socket - socket(2) called from inside this module, so that
 * the symbol is bound when the module is loaded, not in the test.
 * Return: socket(2)'s value (-1 with errno on failure). */
__attribute__((visibility("default")))
int it_sockmod_socket(int domain, int type, int protocol)
{
	return socket(domain, type, protocol);
}
