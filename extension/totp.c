/*
 * totp.c
 *		Time-based one-time passwords (RFC 6238 over RFC 4226's HOTP, with
 *		the server's HMAC-SHA-1): codes, the base32 of secrets, the
 *		otpauth:// URI authenticator apps read, and that URI as a QR code in
 *		SVG (libqrencode draws the modules).
 *
 * Only what every authenticator app takes is made: SHA-1, six digits, 30
 * second steps; a code is accepted one step either side of the server's
 * (mfa.c), for the clocks of phones.
 */
#include "authoob.h"

#include <qrencode.h>

#include "common/hmac.h"
#include "common/sha1.h"
#include "lib/stringinfo.h"

#define TOTP_MODULO 1000000		/* six digits */

/* blank modules around a QR code that readers need (ISO/IEC 18004) */
#define QR_QUIET_ZONE 4

/*
 * The six-digit code of secret at time step step (RFC 4226 section 5.3:
 * the HMAC of the step as a big-endian 64-bit counter, truncated at the
 * offset its last nibble names).
 */
int
authoob_totp_code(const uint8 *secret, int len, int64 step)
{
	pg_hmac_ctx *ctx = pg_hmac_create(PG_SHA1);
	uint8		counter[8];
	uint8		digest[SHA1_DIGEST_LENGTH];
	int			offset;
	uint32		binary;

	for (int i = 7; i >= 0; i--, step >>= 8)
		counter[i] = (uint8) (step & 0xff);
	if (ctx == NULL || pg_hmac_init(ctx, secret, len) < 0 ||
		pg_hmac_update(ctx, counter, sizeof(counter)) < 0 ||
		pg_hmac_final(ctx, digest, sizeof(digest)) < 0)
		elog(ERROR, "authoob: could not compute HMAC-SHA-1: %s", pg_hmac_error(ctx));
	pg_hmac_free(ctx);
	offset = digest[SHA1_DIGEST_LENGTH - 1] & 0x0f;
	binary = ((uint32) (digest[offset] & 0x7f) << 24) |
		((uint32) digest[offset + 1] << 16) |
		((uint32) digest[offset + 2] << 8) |
		(uint32) digest[offset + 3];
	return (int) (binary % TOTP_MODULO);
}

/* RFC 4648 base32, without padding: what authenticator apps take */
char *
authoob_base32_encode(const uint8 *data, int len)
{
	static const char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
	StringInfoData out;
	uint32		buffer = 0;
	int			bits = 0;

	initStringInfo(&out);
	for (int i = 0; i < len; i++)
	{
		buffer = (buffer << 8) | data[i];
		bits += 8;
		while (bits >= 5)
		{
			appendStringInfoChar(&out, alphabet[(buffer >> (bits - 5)) & 0x1f]);
			bits -= 5;
		}
	}
	if (bits > 0)
		appendStringInfoChar(&out, alphabet[(buffer << (5 - bits)) & 0x1f]);
	return out.data;
}

/* text percent-encoded as a URI's path segment or query value */
static void
append_uri_encoded(StringInfo out, const char *text)
{
	for (const unsigned char *p = (const unsigned char *) text; *p; p++)
	{
		if ((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') ||
			(*p >= '0' && *p <= '9') || strchr("-._~@", *p) != NULL)
			appendStringInfoChar(out, (char) *p);
		else
			appendStringInfo(out, "%%%02X", *p);
	}
}

/*
 * The otpauth:// URI of a secret (base32) for account at issuer, in the
 * form Google Authenticator documents and GoTrue's library writes.
 */
char *
authoob_totp_uri(const char *issuer, const char *account, const char *secret)
{
	StringInfoData uri;

	initStringInfo(&uri);
	appendStringInfoString(&uri, "otpauth://totp/");
	append_uri_encoded(&uri, issuer);
	appendStringInfoChar(&uri, ':');
	append_uri_encoded(&uri, account);
	appendStringInfoString(&uri, "?algorithm=SHA1&digits=6&issuer=");
	append_uri_encoded(&uri, issuer);
	appendStringInfo(&uri, "&period=30&secret=%s", secret);
	return uri.data;
}

/*
 * text as a QR code in SVG, one path of unit squares: no '#' nor quote
 * that a data: URI would need to escape (auth-js puts it in one as it is).
 */
char *
authoob_qr_svg(const char *text)
{
	QRcode	   *qr = QRcode_encodeString(text, 0, QR_ECLEVEL_M, QR_MODE_8, 1);
	StringInfoData svg;
	int			size;

	if (qr == NULL)
		elog(ERROR, "authoob: could not make a QR code: %m");
	size = qr->width + 2 * QR_QUIET_ZONE;
	initStringInfo(&svg);
	appendStringInfo(&svg, "<svg xmlns='http://www.w3.org/2000/svg' viewBox='0 0 %d %d'"
					 " width='%d' height='%d' shape-rendering='crispEdges'>"
					 "<rect width='%d' height='%d' fill='white'/><path fill='black' d='",
					 size, size, size * 4, size * 4, size, size);
	for (int y = 0; y < qr->width; y++)
		for (int x = 0; x < qr->width; x++)
			if (qr->data[y * qr->width + x] & 1)
				appendStringInfo(&svg, "M%d %dh1v1h-1z", x + QR_QUIET_ZONE, y + QR_QUIET_ZONE);
	appendStringInfoString(&svg, "'/></svg>");
	QRcode_free(qr);
	return svg.data;
}
