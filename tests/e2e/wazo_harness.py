"""A harness dialplan that calls dialplan/xivo/ the way XiVO/Wazo's dialplan does.

Not Wazo: the few steps of Wazo's generated and library contexts that matter to
autocom's hooks, re-created from wazo-platform/wazo-asterisk-config @ee0929ac
(dialplan/, cited [W] file:line), the 2023 names of wazo-platform/xivo-config
@98373ce6^ ([X]), wazo-confgend's expected output
(wazo_confgend/generators/tests/expected_generated_extension.conf, [C]) and
wazo-agid @1860679 ([A]).  What wazo-agid computes over AGI (a user's lines,
forwards, the trunks of an outcall) is set by stand-in contexts from the site:
the harness dials devices and trunks through the test sinks.
"""

from __future__ import annotations

from autocom.site.model import Site

# xivo_globals.conf ([W] etc/xivo/asterisk/xivo_globals.conf:31-51)
WAZO_GLOBALS = {
    "XIVO_PRESUBR_GLOBAL_ENABLE": "1",
    "XIVO_PRESUBR_GLOBAL_USER": "xivo-subrgbl-user",
    "XIVO_PRESUBR_GLOBAL_GROUP": "xivo-subrgbl-group",
    "XIVO_PRESUBR_GLOBAL_OUTCALL": "xivo-subrgbl-outcall",
    "XIVO_PRESUBR_FWD_ENABLE": "1",
    "XIVO_PRESUBR_FWD_EXTENSION": "xivo-subrfwd-extension",
    "XIVO_MAX_FWD_COUNT": "10",
}

LIBRARY = r"""
; ---- Wazo's library contexts, re-created (the pre/post_subroutine_compat AGI
; calls to wazo-agid are left out) ----
; [W] extensions_lib_subr.conf:248-256
[wazo-global-subroutine]
exten = s,1,GotoIf(${XIVO_PRESUBR_GLOBAL_ENABLE}?:return)
same  =   n,GotoIf(${WAZO_PRESUBR_GLOBAL_NAME}?:return)
same  =   n,GotoIf(${XIVO_PRESUBR_GLOBAL_${WAZO_PRESUBR_GLOBAL_NAME}}?:return)
same  =   n,GotoIf(${VALID_EXTEN(${XIVO_PRESUBR_GLOBAL_${WAZO_PRESUBR_GLOBAL_NAME}},s)}?:return)
same  =   n,Gosub(${XIVO_PRESUBR_GLOBAL_${WAZO_PRESUBR_GLOBAL_NAME}},s,1)
same  =   n(return),Return()

; [X] extensions_lib_subr.conf:248-256 (before 2024: XIVO_PRESUBR_GLOBAL_NAME)
[xivo2023-global-subroutine]
exten = s,1,GotoIf(${XIVO_PRESUBR_GLOBAL_ENABLE}?:return)
same  =   n,GotoIf(${XIVO_PRESUBR_GLOBAL_NAME}?:return)
same  =   n,GotoIf(${XIVO_PRESUBR_GLOBAL_${XIVO_PRESUBR_GLOBAL_NAME}}?:return)
same  =   n,GotoIf(${VALID_EXTEN(${XIVO_PRESUBR_GLOBAL_${XIVO_PRESUBR_GLOBAL_NAME}},s)}?:return)
same  =   n,Gosub(${XIVO_PRESUBR_GLOBAL_${XIVO_PRESUBR_GLOBAL_NAME}},s,1)
same  =   n(return),Return()

; [W] extensions_lib_subr.conf:238-246
[wazo-fwd-subroutine]
exten = s,1,GotoIf(${XIVO_PRESUBR_FWD_ENABLE}?:return)
same  =   n,GotoIf(${WAZO_PRESUBR_FWD_NAME}?:return)
same  =   n,GotoIf(${XIVO_PRESUBR_FWD_${WAZO_PRESUBR_FWD_NAME}}?:return)
same  =   n,GotoIf(${VALID_EXTEN(${XIVO_PRESUBR_FWD_${WAZO_PRESUBR_FWD_NAME}},s)}?:return)
same  =   n,Gosub(${XIVO_PRESUBR_FWD_${WAZO_PRESUBR_FWD_NAME}},s,1)
same  =   n(return),Return()

; [W] extensions_lib_subr.conf:258-264
[wazo-subroutine]
exten  = s,1,GotoIf(${ARG1}?:nosubroutine)
same   =   n,GotoIf(${VALID_EXTEN(${ARG1},s)}?:nosubroutine)
same   =   n,Gosub(${ARG1},s,1)
same   =   n(nosubroutine),Return()

; [W] extensions_lib_subr.conf:80-89, 101-104 (the "user" action) and 178-182
; (the "extension" action)
[forward]
exten = s,1,Set(WAZO_FWD_ACTION=${ARG1})
same  =   n,Set(WAZO_FWD_ACTIONARG1=${ARG2})
same  =   n,Set(WAZO_FWD_ACTIONARG2=${ARG3})
same  =   n,Goto(${WAZO_FWD_ACTION},1)
exten = user,1,Set(WAZO_PRESUBR_FWD_NAME=USER)
same  =      n,Gosub(wazo-fwd-subroutine,s,1)
same  =      n,Gosub(user,s,1(${WAZO_FWD_ACTIONARG1},${WAZO_FWD_ACTIONARG2}))
same  =      n,Return()
exten = extension,1,Set(WAZO_PRESUBR_FWD_NAME=EXTENSION)
same  =           n,Gosub(wazo-fwd-subroutine,s,1)
same  =           n,Goto(${WAZO_FWD_ACTIONARG2},${WAZO_FWD_ACTIONARG1},1)

; [W] extensions_lib_user.conf: 10-18 (ids, names), 42 (wazo-agid's
; incoming_user_set_features: the stand-in harness-user-features), 51
; (preprocess subroutine), 58 (unconditional forward), 73 (global subroutine),
; 85-86 (Dial, then the DIALSTATUS), 94-96 and 155-164 (a forward)
[user]
exten = s,1,Set(WAZO_DSTID=${ARG1})
same  =   n,Set(WAZO_PRESUBR_GLOBAL_NAME=USER)
same  =   n,Set(__WAZO_SRCNUM=${IF(${EXISTS(${WAZO_SRCNUM})}?${WAZO_SRCNUM}:${CALLERID(num)})})
same  =   n,Set(WAZO_DSTNUM=${IF(${EXISTS(${WAZO_DSTNUM})}?${WAZO_DSTNUM}:${XIVO_BASE_EXTEN})})
same  =   n,Set(WAZO_CONTEXT=${IF(${EXISTS(${WAZO_CONTEXT})}?${WAZO_CONTEXT}:${WAZO_BASE_CONTEXT})})
same  =   n,Gosub(harness-user-features,${ARG1},1)
same  =   n,GoSub(wazo-subroutine,s,1(${WAZO_USERPREPROCESS_SUBROUTINE}))
same  =   n,GotoIf(${WAZO_ENABLEUNC}?UNC,1)
same  =   n,Gosub(wazo-global-subroutine,s,1)
same  =   n,Dial(${WAZO_INTERFACE},20)
same  =   n,Goto(${DIALSTATUS},1)
exten = UNC,1,Set(WAZO_FWD_TYPE=USER_UNC)
same  =     n,Goto(forward,1)
exten = forward,1,Set(REDIRECTING(from-num,i)=${WAZO_DST_REDIRECTING_NUM})
same  =         n,Set(__WAZO_CALLFORWARDED=1)
same  =         n,Gosub(forward,s,1(@FWD@ACTION},@FWD@ACTIONARG1},@FWD@ACTIONARG2}))
same  =         n,Return()
exten = _[A-Z].,1,Hangup()

; [W] extensions_lib_outcall.conf:6-10 (ids, numbers), 14 (wazo-agid's
; outgoing_user_set_features: the trunks, set by harness-outcall-features), 16
; (preprocess subroutine), 29-31, 33-43 (each trunk: TRUNKEXTEN, the outgoing
; caller id, the global subroutine, Dial), 60-72 (the next trunk)
[outcall]
exten = s,1,Set(WAZO_DSTID=${ARG1})
same  =   n,Set(WAZO_PRESUBR_GLOBAL_NAME=OUTCALL)
same  =   n,Set(WAZO_SRCNUM=${CALLERID(num)})
same  =   n,Set(WAZO_DSTNUM=${XIVO_BASE_EXTEN})
same  =   n,Set(WAZO_CONTEXT=${WAZO_BASE_CONTEXT})
same  =   n,Gosub(harness-outcall-features,s,1)
same  =   n,GoSub(wazo-subroutine,s,1(${WAZO_OUTCALLPREPROCESS_SUBROUTINE}))
same  =   n,Set(TRUNKINDEX=0)
same  =   n,Goto(dial,1)
exten = dial,1,Set(INTERFACE=${WAZO_INTERFACE${TRUNKINDEX}})
same  =      n,Set(TRUNKEXTEN=${WAZO_TRUNKEXTEN${TRUNKINDEX}})
same  =      n,Set(CALLERID(num)=0389336000)
same  =      n,Gosub(${HARNESS_GLOBAL_SUBROUTINE},s,1)
same  =      n,Dial(Local/${TRUNKEXTEN}~${INTERFACE}@autocom-test-trunk-sink,20)
same  =      n,Goto(${DIALSTATUS},1)
exten = CONGESTION,1,Goto(redial,1)
exten = CHANUNAVAIL,1,Goto(redial,1)
exten = redial,1,Set(TRUNKINDEX=$[${TRUNKINDEX} + 1])
same  =        n,GotoIf(${WAZO_INTERFACE${TRUNKINDEX}}?dial,1)
same  =        n,Hangup()
exten = _[A-Z].,1,Hangup()

; [W] extensions_lib_did.conf:5-7, 15 (numbers), 16 (wazo-agid's
; incoming_did_set_features: the incall's destination, set by the stand-in
; harness-did-features), 22 (global subroutine), 25 (the destination)
[did]
exten = s,1,Set(WAZO_DSTNUM=${XIVO_BASE_EXTEN})
same  =   n,Set(WAZO_CONTEXT=${WAZO_BASE_CONTEXT})
same  =   n,Set(WAZO_PRESUBR_GLOBAL_NAME=DID)
same  =   n,Set(WAZO_SRCNUM=${CALLERID(num)})
same  =   n,Gosub(harness-did-features,${XIVO_BASE_EXTEN},1)
same  =   n,Gosub(wazo-global-subroutine,s,1)
same  =   n,Gosub(forward,s,1(@DID@ACTION},@DID@ACTIONARG1},@DID@ACTIONARG2}))
same  =   n,Hangup()

; The 2023 [outcall] ([X] extensions_lib_outcall.conf:6-9, 29-30): XIVO_* names.
[outcall-2023]
exten = s,1,Set(XIVO_PRESUBR_GLOBAL_NAME=OUTCALL)
same  =   n,Set(XIVO_SRCNUM=${CALLERID(num)})
same  =   n,Set(XIVO_DSTNUM=${XIVO_BASE_EXTEN})
same  =   n,Gosub(harness-outcall-features,s,1)
same  =   n,Set(HARNESS_GLOBAL_SUBROUTINE=xivo2023-global-subroutine)
same  =   n,Set(TRUNKINDEX=0)
same  =   n,Goto(outcall,dial,1)

; Stand-in for wazo-agid's outgoing_user_set_features: two trunks, the number
; without the line prefix (the outcall's strip digits), then with 33.
[harness-outcall-features]
exten = s,1,Set(WAZO_INTERFACE0=trunk-a)
same  =   n,Set(WAZO_TRUNKEXTEN0=${XIVO_BASE_EXTEN:1})
same  =   n,Set(WAZO_INTERFACE1=trunk-b)
same  =   n,Set(WAZO_TRUNKEXTEN1=33${XIVO_BASE_EXTEN:2})
same  =   n,Set(HARNESS_GLOBAL_SUBROUTINE=wazo-global-subroutine)
same  =   n,Return()
""".replace("@FWD@", "${WAZO_FWD_${WAZO_FWD_TYPE}_").replace(
    "@DID@", "${WAZO_FWD_INCALL_ANSWER_"
)  # dialplan lines too long for ruff


def harness_dialplan(site: Site, context: str = "wazo-default") -> str:
    """LIBRARY, a generated internal context for the site's users (as [C]), a DID
    context and the stand-in for wazo-agid's incoming_user_set_features ([A]
    userfeatures.py:145-148, 195-212, 506-539)."""
    gen = [f"\n; ---- generated, as wazo-confgend writes it ([C]) ----\n[{context}]\n"]
    features = ["\n[harness-user-features]\n"]
    for user in site.users:
        ext = user.extension
        gen.append(
            f"exten = {ext},1,Set(__WAZO_BASE_CONTEXT=${{CONTEXT}})\n"
            f"same  =     n,Set(__XIVO_BASE_EXTEN=${{EXTEN}})\n"
            f"same  =     n,GoSub(user,s,1({ext},))\n"
        )
        dial = "&".join(f"Local/{d}@autocom-test-device-sink" for d in user.devices)
        features.append(
            f"exten = {ext},1,Set(WAZO_INTERFACE={dial})\n"
            f"same  =     n,Set(WAZO_DST_USERNUM={ext})\n"
            f"same  =     n,Set(WAZO_DST_USER_CONTEXT={context})\n"
            f"same  =     n,Set(WAZO_DST_REDIRECTING_NUM={ext})\n"
            f'same  =     n,Set(WAZO_ENABLEUNC=${{IF($["${{HARNESS_UNC_{ext}}}" != ""]?1:0)}})\n'
            f"same  =     n,Set(WAZO_FWD_USER_UNC_ACTION=extension)\n"
            f"same  =     n,Set(WAZO_FWD_USER_UNC_ACTIONARG1=${{HARNESS_UNC_{ext}}})\n"
            f"same  =     n,Set(WAZO_FWD_USER_UNC_ACTIONARG2={context})\n"
            f"same  =     n,Return()\n"
        )
    gen.append(
        "exten = _0X.,1,Set(__WAZO_BASE_CONTEXT=${CONTEXT})\n"
        "same  =     n,Set(__XIVO_BASE_EXTEN=${EXTEN})\n"
        "same  =     n,GoSub(outcall,s,1(1,))\n"
        "exten = _90X.,1,Set(__XIVO_BASE_EXTEN=${EXTEN:1})\n"
        "same  =     n,GoSub(outcall-2023,s,1(1,))\n"
    )
    includes = (
        "#include dialplan/xivo/autocom-xivo.conf\n#include dialplan/xivo/autocom-xivo-hooks.conf\n"
    )
    did = ["\n[wazo-from-extern]\n"]
    did_features = ["\n[harness-did-features]\n"]
    for number, user in _user_dids(site):
        did.append(
            f"exten = {number},1,Set(__WAZO_BASE_CONTEXT=${{CONTEXT}})\n"
            f"same  =     n,Set(__XIVO_BASE_EXTEN=${{EXTEN}})\n"
            f"same  =     n,GoSub(did,s,1(1,))\n"
        )
        did_features.append(
            f"exten = {number},1,Set(WAZO_FWD_INCALL_ANSWER_ACTION=user)\n"
            f"same  =     n,Set(WAZO_FWD_INCALL_ANSWER_ACTIONARG1={user})\n"
            f"same  =     n,Set(WAZO_FWD_INCALL_ANSWER_ACTIONARG2=)\n"
            f"same  =     n,Return()\n"
        )
    parts = [includes, LIBRARY, *gen, *features, *did, *did_features]
    return "".join(parts)


def _user_dids(site: Site) -> list[tuple[str, str]]:
    """(DID, user extension) of the site's DIDs that ring a user."""
    return [
        (d.number, d.destination)
        for c in site.contexts
        for d in c.dids
        if site.user(d.destination) is not None
    ]
