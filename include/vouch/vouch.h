/*
 * vouch: email authentication (DKIM, SPF, DMARC, ARC) - umbrella header.
 */
#ifndef VOUCH_VOUCH_H
#define VOUCH_VOUCH_H

#include "status.h"
#include "limits.h"
#include "dns.h"
#include "spf.h"
#include "authres.h"
#include "message.h"
#include "dkim.h"
#include "dkim_sign.h"
#include "dmarc.h"
#include "arc.h"
#include "check.h"
#include "verify.h"
#include "store.h"
#include "report.h"
#include "report_failure.h"
#include "feedback.h"
#include "ingest.h"
#include "owner.h"

#endif
