//! # Guesses
//!
//! Everything the sandbox does that no recording in
//! `tests/fixtures/bugzilla-5.2/` (or the later sessions in the shared
//! recordings) shows, in one place. Where the real answer is unknown the
//! sandbox refuses rather than accepts, so that a test cannot pass on
//! something a real server might turn down; error codes and words come from
//! Bugzilla 5.2's source (`WS_ERROR_CODE`, `REST_STATUS_CODE_MAP`, the
//! error templates) where it says, else from the nearest recorded error.
//! Each entry says what the sandbox does, why, and which call would settle
//! it. When a recording settles one, replay it in
//! `tests/sandbox_conformance.rs` and move the entry out of this list.
//!
//! ## The sandbox's own refusals (not Bugzilla's)
//!
//! Real 5.2 ignores what it does not know; the sandbox answers 404/32614
//! "The sandbox does not implement …" instead, so that a test never passes
//! on a parameter that did nothing:
//!
//! 1. **Unknown query parameters** of every route (search: anything outside
//!    `SEARCH_PARAMS` and `fN`/`oN`/`vN`; other routes: see
//!    `query_params_of` in `api`), search operators and custom-search fields
//!    it does not implement, unknown keys in `POST /rest/bug`, `PUT
//!    /rest/bug/ID`, its `comment` object (and a `comment` that is not an
//!    object with a `body` string), a `flags` entry, `POST
//!    /rest/bug/ID/comment`, and `PUT /rest/user/NAME` (all but `groups`,
//!    entry 23). `ids` in a `PUT /rest/bug/ID` body too: 5.2 would update
//!    every bug it names. Settled by: nothing; this is on purpose.
//!
//! The instance's `insidergroup` parameter is sandbox data (`[instance]
//! insider_group`, or `SandboxHandle::set_insider_group` while it runs, as
//! the session 4 replay does between 158 and 159): 5.2 sets it on its
//! parameters page, and the sandbox invents no REST route for it.
//! 2. **`DUPLICATE`** as a resolution (no duplicate-of bug is modelled).
//!
//! ## Errors for cases never recorded
//!
//! 3. **Empty summary** on create: 400/107 "You must enter a summary for
//!    this bug." (source: `require_summary`). Settle: create with
//!    `"summary": ""`.
//! 4. **Unknown product** on create: 401/106 with recording 135's words
//!    (the flag-type route's answer for an unknown product). Settle: create
//!    in `NoSuchProduct`.
//! 5. **Unknown group** on create: 400/804 with recording 95's words
//!    (source: `invalid_group_name`). Settle: create with `"groups":
//!    ["nope"]`.
//! 6. **Status on create**: only UNCONFIRMED, CONFIRMED, IN_PROGRESS
//!    (recording 60's workflow from "new"), and only UNCONFIRMED for
//!    callers outside `editbugs`; anything else 400/123. Real 5.2 silently
//!    files an unprivileged caller's bug as UNCONFIRMED. A resolution on
//!    create: 400/122. Settle: create as the outsider with `"status":
//!    "CONFIRMED"`, and as the lead with `"status": "RESOLVED"`.
//! 7. **Select fields** (create and update): priority, severity, OS and
//!    hardware must be stock 5.2 values, version, milestone and component
//!    the product's; else 404/51 "There is no X named 'Y'" (the component
//!    case is recording 82). Settle: update `"priority": "P1"`.
//! 8. **Status names and transitions**: an unknown status 404/51; a move the
//!    workflow of recording 60 does not allow (RESOLVED → IN_PROGRESS, …)
//!    400/123 even for `editbugs` (recording 131 is the outsider's case).
//!    Settle: as the lead, RESOLVED → IN_PROGRESS.
//! 9. **Resolutions**: closing without one 400/121 (source:
//!    `missing_resolution`; the sandbox used to file it as FIXED); a
//!    resolution on an open bug 400/122; an unknown one 404/51. Settle: PUT
//!    `{"status": "RESOLVED"}` alone.
//! 10. **Who may change a field** (401/115, recording 90 is an outsider):
//!     the reporter may not change assignee, QA contact, target milestone
//!     or priority ("only a user with the required permissions"); the QA
//!     contact has no rights of its own (5.2 gives it the assignee's when
//!     `useqacontact` is on). Who may change a status: `editbugs`, the
//!     assignee, the reporter except between open statuses; confirming or
//!     unconfirming only `editbugs`. Settle: the outsider reporter
//!     reassigning its own bug; the QA contact (outside `editbugs`) editing
//!     the whiteboard.
//! 11. **Assigning to nobody** (`"assigned_to": ""`): 400/50. Settle: that
//!     PUT.
//! 12. **Flags.** A flag by `id`, `type_id` or `name` (the bug's product's
//!     types only); without `new: true` a type reaches the one flag of
//!     that type on the bug — for multiplicable types like `needinfo` too,
//!     as 5.2's `extract_flags` does, so a second needinfo request by name
//!     *replaces* the first one's requestee — and two of them are 400/132.
//!     A new flag of a non-multiplicable type that is already there:
//!     400/32000. No `id`/`type_id`/`name`: 400/50; no `status`: 400/50; an
//!     unknown `type_id`: 404/51. A requestee on a type that takes none:
//!     400/131; one who cannot see the bug: 400/32000. A requestee that
//!     does not exist is 404/51 even when the status is not `?` (5.2's
//!     source ignores it then). `flags` that is not an array: 400/32000.
//!     Settle: ask `needinfo` by name on bug with one needinfo already (and
//!     with two); `"new": true` on `webdev-signoff` while it is set.
//! 13. **Who may set a flag**: anyone who can see the bug (recording 117 is
//!     a type without a grant group). Grant and request groups are not
//!     modelled, so the sandbox cannot refuse a setter; the data file has no
//!     way to say a type has one.
//! 14. **Private comments on create** (`comment_is_private`) outside the
//!     insider group: 401/113, like a PUT or POST comment (149, 160).
//!     Settle: create with `"comment_is_private": true` as the bot.
//! 15. **A batch with an invisible bug** (comments, `GET /rest/bug/ID?ids=`):
//!     401/102 for the whole request, like a missing one (106). Settle: a
//!     comment batch as the QA person with restricted bug 4 in `ids`.
//! 16. **`ids` of `GET /rest/bug/ID`**: one bug per value; a comma list is
//!     400/100, as for comments (102). Settle: `GET /rest/bug/1?ids=2,3`.
//! 17. **User lookups**: repeated `names` are recorded (one unknown fails
//!     the whole lookup with 404/51, 140; all known, every user, 141);
//!     `ids`, `groups` and `match` are taken the same way, one item per
//!     value, and a comma list is one unknown name (404/51). An unknown id
//!     404/51; `match` while anonymous 401/410. Settle: `GET
//!     /rest/user?names=lead@example.test,qa@example.test`.
//! 18. **Search numbers**: an `id` that is not a number 400/100; a `limit`
//!     or `offset` that is not one 400/52 (source:
//!     `param_must_be_numeric`). Settle: `GET /rest/bug?id=abc`.
//! 19. **Comments by id**: a non-numeric or unknown comment id 400/111, a
//!     private one not visible 401/110 (source's codes). Settle: `GET
//!     /rest/bug/comment/99999`.
//! 20. **Logins**: a wrong password 401/300 (the REST status map sends 300
//!     as 401); an unknown login token 401/32000. Settle: `GET
//!     /rest/login` with a wrong password.
//! 21. **Flag types of an unknown component** of a known product: 400/105.
//!     Settle: `GET /rest/flag_type/Websites/Nope`.
//! 22. **Lookups without a key**: `GET /rest/user` without `names`, `ids` or
//!     `match`, and `GET /rest/product` without `names`: 400/50 (source:
//!     `params_required`). Unknown product names are left out. Settle: `GET
//!     /rest/user` alone; `GET /rest/product?names=Nope`.
//! 23. **Account changes** (`PUT /rest/user/NAME`, 5.2's `User.update`):
//!     only group membership, `{"groups": {"add": [...], "remove":
//!     [...]}}`, by an administrator, is modelled (recording 163 is the
//!     admin adding the bot). A caller outside `editusers` (every
//!     non-admin: bless rights are not modelled) gets 401/304 with the
//!     words of 5.2's `auth_failure` template; an unknown group 404/51
//!     "There is no group named …"; a path that is a number is a user id.
//!     Any other account field, and `groups.set`, is refused as not
//!     implemented (404/32614, like entry 1). Settle: the same PUT as the
//!     bot, and with `"add": ["nope"]`.
//!
//! ## Behaviour assumed
//!
//! 24. **Order of changes within one history entry**: 5.2 writes a
//!     request's activity rows in Perl hash order, so it varies (recording
//!     41 has CC before flags, 153 assignee before CC); the sandbox writes
//!     fields, then CC, then flags (flags then CC on create), which agrees
//!     with every recording. Clients must not depend on it.
//! 25. **CC order**: CC lists and the names in a `cc` change are sorted by
//!     login, as 5.2 reads them. Settle: a bug with CC added out of order.
//! 26. **An empty comment body in a PUT** adds no comment and is not an
//!     error (the web form always sends one).
//! 27. **Time-tracking and admin-only user fields**, **bug visibility to the
//!     reporter and CC list**: as recorded for the instance's defaults
//!     (reporter and CC access on); other settings are not modelled.
//! 28. **Order of users** in `GET /rest/user`: `names` first, in the order
//!     asked, then `ids`, then `match` (sorted by login). 5.2 answers
//!     `names` in Perl hash order, which varies (141 has them reversed;
//!     the replay allows it). Clients must not depend on it.
//! 29. **Group inheritance is not modelled**: a data file lists every group
//!     a user is in. 5.2 grants `canconfirm` through `editbugs` on some
//!     instances (the bot's own groups in 138 list it; the lead's in 50, an
//!     older copy, do not), so the seeds say so per user.
//! 30. **A bad API key on any route** is 400/306, `GET /rest/version`
//!     included: recorded only on a bug read (70) and a search (71); the
//!     strict choice is that 5.2 checks a key sent with any call.
//!     `pushbot doctor` reports it as a key failure. Settle: `GET
//!     /rest/version?api_key=ThisIsNotAValidKey…`.
//!
//! ## Webhook delivery (`webhooks`), from BMO's documentation, not recorded
//!
//! The four payloads in `tests/fixtures/bmo/webhook-*.json` are BMO's
//! documentation examples (syntax-repaired), not recorded deliveries; no
//! request BMO actually sent is in the recordings. The sandbox assumes:
//!
//! 31. **One event per change**: a new bug is one `bug.create` (its
//!     description sends no `comment.create`); each history entry of a
//!     change is one `bug.modify:<fields>`; each new comment is one
//!     `comment.create`. A change with a comment (one `PUT`) sends both.
//!     Settle: a webhook subscribed to all events, then a `PUT` with a
//!     comment, logged at the endpoint.
//! 32. **Field names in `changes` and the routing key** are the history's,
//!     except `flagtypes.name` → `flag` and `bug_group` → `groups` (BMO
//!     sends `flag.<name>` per flag; the bot reads no change list).
//! 33. **Private bugs**: a bug in any group is sent as `{"id", "is_private":
//!     true}` without `changes`; the hook's owner is taken to see every
//!     bug and every private comment (BMO sends nothing the owner cannot
//!     see). `webhook_id` is 1, `webhook_name` `pushbot`, `classification`
//!     `Unclassified`, `type` `defect`, `alias` `""`.
//! 34. **Delivery**: at once, in order, one POST per event, the
//!     `api_key_header: api_key_value` pair sent as one header; nothing is
//!     retried (BMO keeps a backlog retried with back-off, 5^n seconds,
//!     and disables the webhook at `webhooks_error_limit`). The fault
//!     modes (`Delivery::Late`, `Twice`, `OutOfOrder`, `Off`) stand in for
//!     the backlog's effects: duplicates are UNCONFIRMED on BMO (REST.md
//!     §10), out of order should not happen within one webhook's FIFO but
//!     does between two webhooks of one account. The event `time` is the
//!     sandbox clock's at the change.
