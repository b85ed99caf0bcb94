#include "cli.h"

#include <stdio.h>

int cli_exit_code(int code)
{
	switch (code) {
	case CPUU_OK: return CLI_EXIT_OK;
	case CPUU_ENOTFOUND: return CLI_EXIT_NOTFOUND;
	case CPUU_EDIRTY: return CLI_EXIT_DIRTY;
	case CPUU_ECORRUPT: return CLI_EXIT_CORRUPT;
	case CPUU_EIO:
	case CPUU_EREADONLY: return CLI_EXIT_IO;
	case CPUU_EINVALID: return CLI_EXIT_INVALID;
	case CPUU_EUNSUPPORTED: return CLI_EXIT_UNSUPPORTED;
	case CPUU_EAMBIGUOUS: return CLI_EXIT_AMBIGUOUS;
	case CPUU_ENETWORK: return CLI_EXIT_NETWORK;
	case CPUU_EAUTH: return CLI_EXIT_AUTH;
	case CPUU_ETLS: return CLI_EXIT_TLS;
	case CPUU_ELOCKED: return CLI_EXIT_LOCKED;
	default: return CLI_EXIT_ERROR;
	}
}

int cli_fail(void)
{
	const cpuu_error *e = cpuu_error_last();
	fprintf(stderr, "cpuu: %s\n", e->message[0] ? e->message : "unknown error");
	return cli_exit_code(e->code);
}
