/*
 * null_milter: a libmilter milter that does nothing, for bench/milter
 * (not a test, not installed).  It negotiates what vouchd negotiates (the
 * same events left out, the same replies not sent) and adds one header
 * field at the end of each message, so that its CPU per message is what
 * libmilter alone costs through Postfix: the floor under vouchd's own.
 *
 *     null_milter unix:/path/to/socket
 */
#include <libmilter/mfapi.h>
#include <stdio.h>
#include <stdlib.h>

/* vouchd's choices (src/milter/milter.c), as far as the MTA offers them. */
#define STEPS_OFF (SMFIP_NORCPT | SMFIP_NOUNKNOWN | SMFIP_NODATA)
#define NO_REPLY \
	(SMFIP_NR_CONN | SMFIP_NR_HELO | SMFIP_NR_MAIL | SMFIP_NR_HDR | \
	    SMFIP_NR_BODY)

static sfsistat
negotiate(SMFICTX *ctx, unsigned long f0, unsigned long f1, unsigned long f2,
    unsigned long f3, unsigned long *pf0, unsigned long *pf1,
    unsigned long *pf2, unsigned long *pf3)
{
	(void)ctx;
	(void)f2;
	(void)f3;
	*pf0 = f0 & SMFIF_ADDHDRS;
	*pf1 = f1 & (STEPS_OFF | NO_REPLY | SMFIP_HDR_LEADSPC | SMFIP_SKIP);
	*pf2 = 0;
	*pf3 = 0;
	return SMFIS_CONTINUE;
}

static sfsistat
on_connect(SMFICTX *ctx, char *host, _SOCK_ADDR *sa)
{
	(void)ctx;
	(void)host;
	(void)sa;
	return SMFIS_NOREPLY;
}

static sfsistat
on_helo(SMFICTX *ctx, char *helo)
{
	(void)ctx;
	(void)helo;
	return SMFIS_NOREPLY;
}

static sfsistat
on_mail(SMFICTX *ctx, char **argv)
{
	(void)ctx;
	(void)argv;
	return SMFIS_NOREPLY;
}

static sfsistat
on_header(SMFICTX *ctx, char *name, char *value)
{
	(void)ctx;
	(void)name;
	(void)value;
	return SMFIS_NOREPLY;
}

static sfsistat
on_eoh(SMFICTX *ctx)
{
	(void)ctx;
	return SMFIS_CONTINUE;
}

static sfsistat
on_body(SMFICTX *ctx, unsigned char *p, size_t len)
{
	(void)ctx;
	(void)p;
	(void)len;
	return SMFIS_NOREPLY;
}

/* One field, as vouchd adds its Authentication-Results. */
static sfsistat
on_eom(SMFICTX *ctx)
{
	return smfi_insheader(ctx, 0, "X-Null-Milter", "seen") == MI_SUCCESS
	           ? SMFIS_ACCEPT
	           : SMFIS_TEMPFAIL;
}

static sfsistat
on_other(SMFICTX *ctx)
{
	(void)ctx;
	return SMFIS_CONTINUE;
}

int
main(int argc, char **argv)
{
	struct smfiDesc desc = {
	    .xxfi_name = "null_milter",
	    .xxfi_version = SMFI_VERSION,
	    .xxfi_flags = SMFIF_ADDHDRS,
	    .xxfi_connect = on_connect,
	    .xxfi_helo = on_helo,
	    .xxfi_envfrom = on_mail,
	    .xxfi_header = on_header,
	    .xxfi_eoh = on_eoh,
	    .xxfi_body = on_body,
	    .xxfi_eom = on_eom,
	    .xxfi_abort = on_other,
	    .xxfi_close = on_other,
	    .xxfi_negotiate = negotiate,
	};

	if (argc != 2) {
		fprintf(stderr, "usage: null_milter SOCKET\n");
		return 64;
	}
	if (smfi_setconn(argv[1]) != MI_SUCCESS ||
	    smfi_register(desc) != MI_SUCCESS ||
	    smfi_opensocket(1) != MI_SUCCESS) {
		fprintf(stderr, "null_milter: cannot listen on %s\n", argv[1]);
		return 1;
	}
	return smfi_main() == MI_SUCCESS ? 0 : 1;
}
