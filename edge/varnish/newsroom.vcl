vcl 4.1;

# Newsroom behind Varnish 7 (Debian's varnish, with varnish-modules for xkey).
#
# What it does:
# - caches anonymous GET/HEAD pages that Newsroom marks cacheable with a Surrogate-Key header, for
#   Surrogate-Control's max-age, serving a stale copy for a few seconds (grace) while it refetches;
# - passes everything personal: the editors' /admin/, signed /preview/ links, /healthz, any request
#   with Authorization or a session or messages cookie, and every method but GET and HEAD;
# - caches nothing whose response lacks Surrogate-Key (hit-for-miss), sets a cookie, or says private;
# - accepts PURGE with an "xkey-purge: key1 key2" header from the purgers ACL and removes every object
#   carrying one of the keys at once (xkey.purge, not softpurge: grace never serves a purged page);
# - spreads requests round-robin over the backends, probes each on /healthz every second, and tries
#   another backend when one fails to answer or answers 5xx;
# - includes the fragments Newsroom leaves to it (ESI: an article's related coverage), each cached
#   under its own keys, so taking down a story retires the fragments that link to it, not the pages;
# - says on every response whether it was a HIT, MISS or PASS (X-Proxy-Cache) and keeps the surrogate
#   headers to itself.
#
# This file is a template AND a working VCL for one Newsroom at 127.0.0.1:8000. The blocks between
# "# BEGIN name" and "# END name" are what a deployment changes: edit them by hand, or render them with
#     python -c "from edge.varnish import render_vcl; render_vcl('/etc/varnish/default.vcl',
#                backends=[('10.0.0.5', 8000), ('10.0.0.6', 8000)], purgers=['10.0.0.0/24'])"
# (README, "Caching proxy (Varnish)"). render_vcl(..., purge="ban") writes the same VCL for a Varnish
# without varnish-modules: PURGE then bans objects whose xkey header holds one of the keys.

# BEGIN IMPORTS
import std;
import directors;
import xkey;
import var;
# END IMPORTS

# A backend answering /healthz twice in three probes is healthy: a killed server is out within ~2 s,
# and requests in flight meanwhile are retried on another backend (vcl_backend_error).
probe newsroom_health {
    .url = "/healthz";
    .interval = 1s;
    .timeout = 1s;
    .window = 3;
    .threshold = 2;
    .initial = 2;
}

# BEGIN BACKENDS
backend newsroom1 {
    .host = "127.0.0.1";
    .port = "8000";
    .probe = newsroom_health;
    .connect_timeout = 1s;
    .first_byte_timeout = 30s;
}
# END BACKENDS

# Who may PURGE: this machine, and the Newsroom servers and workers listed here.
acl purgers {
    "127.0.0.1";
    "::1";
# BEGIN PURGERS
# END PURGERS
}

sub vcl_init {
    new newsroom = directors.round_robin();
# BEGIN DIRECTOR
    newsroom.add_backend(newsroom1);
# END DIRECTOR
}

sub vcl_recv {
    set req.backend_hint = newsroom.backend();
    # A client cannot claim a result of ours.
    unset req.http.X-Proxy-Cache;
    # Newsroom may leave parts of a page that change on their own (an article's related coverage)
    # to this proxy to include (ESI), each cached apart under its own keys.
    set req.http.Surrogate-Capability = "newsroom=ESI/1.0";

    if (req.method == "PURGE") {
        if (client.ip !~ purgers) {
            return (synth(403, "Purging is not allowed from this address"));
        }
        if (!req.http.xkey-purge) {
            return (synth(400, "PURGE needs an xkey-purge header naming the keys"));
        }
        if (req.http.xkey-purge !~ "^[A-Za-z0-9:._ -]+$") {
            return (synth(400, "Surrogate keys are letters, digits and : . _ -"));
        }
        call newsroom_purge;
    }
    if (req.method != "GET" && req.method != "HEAD") {
        return (pass);
    }
    if (req.url ~ "^/(admin|preview)(/|$)" || req.url ~ "^/healthz") {
        return (pass);
    }
    if (req.http.Authorization) {
        return (pass);
    }
    # A session cookie may mean a signed-in editor; a messages cookie carries a note for one reader.
# BEGIN PERSONAL COOKIES
    if (req.http.Cookie ~ "(^|;\s*)(sessionid|messages)=") {
        return (pass);
    }
# END PERSONAL COOKIES
    # Every other cookie (the CSRF token, analytics) changes nothing on a public page, and Django
    # varies on Cookie: dropped, so every reader shares one copy.
    unset req.http.Cookie;
    return (hash);
}

# BEGIN PURGE
sub newsroom_purge {
    # Hard purge: the objects are gone, so grace cannot serve one (a softpurge would keep them stale).
    set req.http.X-Purged = xkey.purge(req.http.xkey-purge);
    # The content version the purge was sent at (Newsroom's counter after the change, counted
    # from its epoch): a page being fetched now may have been rendered before the change, and must
    # not be kept (vcl_backend_response).
    if (req.http.xkey-epoch ~ "^[0-9]+$" && std.integer(req.http.xkey-version, 0)
            > std.integer(var.global_get("purged_at_" + req.http.xkey-epoch), 0)) {
        var.global_set("purged_at_" + req.http.xkey-epoch, req.http.xkey-version);
    }
    return (synth(200, "Purged"));
}
# END PURGE

sub vcl_backend_fetch {
    # A retry resolves the director again: the next backend in the round.
    set bereq.backend = newsroom.backend();
}

sub vcl_backend_error {
    # Refused, reset or timed out: try another backend, for requests that are safe to repeat.
    if (bereq.retries < 3 && (bereq.method == "GET" || bereq.method == "HEAD")) {
        return (retry);
    }
}

sub vcl_backend_response {
    if (beresp.status >= 500 && (bereq.method == "GET" || bereq.method == "HEAD")) {
        if (bereq.retries < 3) {
            return (retry);
        }
        if (bereq.is_bgfetch) {
            # Refreshing a graced page failed: keep serving the stale copy until grace ends.
            return (abandon);
        }
    }
    if (beresp.http.Surrogate-Control ~ {"content="ESI/1\.0""}) {
        set beresp.do_esi = true;
        # The page's ETag stands for the page without its included parts: a client holding it
        # could be told 304 after only an included part changed.
        unset beresp.http.ETag;
        unset beresp.http.Last-Modified;
    }
    if (bereq.uncacheable) {
        return (deliver);
    }
    # Cached only what Newsroom marks cacheable, as its own page cache decides (articles/caching.py).
    if (!beresp.http.Surrogate-Key
        || beresp.http.Set-Cookie
        || beresp.http.Cache-Control ~ "(private|no-store)"
        || (beresp.status != 200 && beresp.status != 301 && beresp.status != 404)) {
        # Hit-for-miss for a while: the next request goes straight to a backend, and may be cached.
        set beresp.uncacheable = true;
        set beresp.ttl = 60s;
        return (deliver);
    }
# BEGIN IN-FLIGHT
    # A page rendered before the latest purge's change (a fetch under way when the purge arrived)
    # may show what the purge retired: delivered, not kept. Newsroom says which content version the
    # page is current at (X-Content-Version), its counter before rendering or when it checked its
    # own cache's copy.
    if (beresp.http.X-Content-Epoch && std.integer(beresp.http.X-Content-Version, 0)
            < std.integer(var.global_get("purged_at_" + beresp.http.X-Content-Epoch), 0)) {
        set beresp.uncacheable = true;
        set beresp.ttl = 1s;
        return (deliver);
    }
# END IN-FLIGHT
    # The keys a PURGE names (xkey reads this header; a ban in BAN mode matches on it).
    set beresp.http.xkey = beresp.http.Surrogate-Key;
    # How long a shared cache may keep it: Surrogate-Control's max-age, which Newsroom caps at the
    # next scheduled publication; browsers keep Django's own Cache-Control.
    if (beresp.http.Surrogate-Control ~ "(^|[,\s])max-age=[0-9]+") {
        set beresp.ttl = std.duration(
            regsub(beresp.http.Surrogate-Control, "^(.*[,\s])?max-age=([0-9]+).*$", "\2") + "s", 0s);
    } else {
        set beresp.ttl = 0s;
    }
    if (beresp.ttl <= 0s) {
        set beresp.uncacheable = true;
        set beresp.ttl = 60s;
        return (deliver);
    }
    # Stale-while-revalidate: a few seconds of serving the old copy while one request refetches.
    set beresp.grace = 5s;
    set beresp.keep = 0s;
    return (deliver);
}

sub vcl_deliver {
    if (obj.uncacheable) {
        set resp.http.X-Proxy-Cache = "PASS";
    } elsif (obj.hits > 0) {
        set resp.http.X-Proxy-Cache = "HIT";
    } else {
        set resp.http.X-Proxy-Cache = "MISS";
    }
    # The surrogate headers are for this proxy alone (Edge Architecture 1.0); Django's own
    # Cache-Control, Vary and X-Cache pass through.
    unset resp.http.Surrogate-Key;
    unset resp.http.Surrogate-Control;
    unset resp.http.xkey;
    unset resp.http.X-Content-Epoch;
    unset resp.http.X-Content-Version;
    unset resp.http.X-Edge-Includes;
}

sub vcl_synth {
    set resp.http.X-Proxy-Cache = "PASS";
    if (req.method == "PURGE" && req.http.X-Purged) {
        set resp.http.X-Purged = req.http.X-Purged;
        set resp.http.Content-Type = "text/plain; charset=utf-8";
        set resp.body = "purged " + req.http.X-Purged;
        return (deliver);
    }
}
