/* The static dashboard: DIR/index.html with inline CSS, an SVG chart drawn
 * here and a little inline JS for the search, no external resource (a
 * Content-Security-Policy forbids any). Every value from the store is
 * HTML-escaped (or JSON-escaped for a script element). The page leads with
 * users (done, waiting for their switch, failed, not seen); accounts and
 * feature records (autocomplete, autodiscover, ...) follow, apart. Ids the
 * test reads: n-users, users-done, users-waiting, users-failed,
 * users-not-seen, n-records, n-accounts, n-done, n-failures, n-features,
 * outcome-<name>, feature-<feature>-<outcome>, progress (data-final), shown,
 * drawn, total-rows, users. */
#include "report/internal.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

static const char css[] =
	"body{font:14px/1.4 system-ui,sans-serif;margin:24px;color:#222;background:#fafafa}"
	"h1{font-size:22px;margin:0 0 4px}h2{font-size:17px;margin:24px 0 8px}"
	".muted{color:#666}.cards{display:flex;gap:12px;flex-wrap:wrap}"
	".card{background:#fff;border:1px solid #ddd;border-radius:6px;padding:10px 16px;min-width:120px}"
	".card b{display:block;font-size:24px}"
	"table{border-collapse:collapse;background:#fff}td,th{border:1px solid #ddd;padding:3px 8px;text-align:left}"
	"th{background:#f0f0f0}td.n{text-align:right}.bar{height:12px;background:#4a7bd0}"
	".o-error,.o-ambiguous{color:#b00020;font-weight:600}.o-switched,.o-already_switched{color:#1b7f3a}"
	"#q{font-size:14px;padding:4px 8px;width:320px}svg{background:#fff;border:1px solid #ddd}"
	".users .card{min-width:150px}.users .card b{font-size:32px}.u-done b{color:#1b7f3a}.u-failed b{color:#b00020}"
	".u-waiting b{color:#a66300}.u-not_seen b{color:#666}";

/* The user table is drawn from the embedded JSON (#rows), at most `limit`
 * rows at a time: a 20,000-user migration has ~60,000 rows, which a browser
 * lays out in tens of seconds as one static table. Cells are set with
 * textContent, never parsed as HTML. */
static const char js[] =
	"(function(){var rows=JSON.parse(document.getElementById('rows').textContent),"
	"q=document.getElementById('q'),body=document.querySelector('#users tbody'),"
	"shown=document.getElementById('shown'),more=document.getElementById('more'),"
	"drawn=document.getElementById('drawn'),limit=500,text=[];"
	"for(var i=0;i<rows.length;i++)text.push(rows[i].join('\\u0001').toLowerCase());"
	"function draw(){var v=q.value.toLowerCase(),n=0,f=document.createDocumentFragment(),d=0;"
	"for(var i=0;i<rows.length;i++){if(v&&text[i].indexOf(v)<0)continue;n++;if(d>=limit)continue;d++;"
	"var tr=document.createElement('tr');for(var j=0;j<rows[i].length;j++){var td=document.createElement('td');"
	"td.textContent=rows[i][j];if(j==4)td.className='o-'+rows[i][j];if(j==5)td.className='n';tr.appendChild(td);}"
	"f.appendChild(tr);}"
	"body.textContent='';body.appendChild(f);shown.textContent=String(n);drawn.textContent=String(d);"
	"more.style.display=d<n?'':'none';}"
	"q.addEventListener('input',function(){limit=500;draw();});"
	"more.addEventListener('click',function(){limit+=5000;draw();});"
	"var h=location.hash.match(/^#q=(.*)$/);if(h){q.value=decodeURIComponent(h[1]);}draw();})();";

/* A JSON string safe inside <script>: <, >, & and the JS line separators
 * as \u escapes, so no value can close the element or start a comment. */
static void json_in_html(cpuu_buf *b, const char *s)
{
	cpuu_buf_puts(b, "\"");
	for (const unsigned char *p = (const unsigned char *)(s ? s : ""); *p; p++) {
		if (*p == '"' || *p == '\\') {
			char e[2] = { '\\', (char)*p };
			cpuu_buf_append(b, e, 2);
		} else if (*p < 0x20 || *p == '<' || *p == '>' || *p == '&' || *p == '\'') {
			cpuu_buf_printf(b, "\\u%04x", *p);
		} else if (*p == 0xE2 && p[1] == 0x80 && (p[2] == 0xA8 || p[2] == 0xA9)) {
			cpuu_buf_printf(b, "\\u%04x", p[2] == 0xA8 ? 0x2028 : 0x2029);
			p += 2;
		} else {
			cpuu_buf_append(b, p, 1);
		}
	}
	cpuu_buf_puts(b, "\"");
}

static void chart(cpuu_buf *b, const cpuu_report_progress *p, size_t accounts)
{
	const double W = 760, H = 240, L = 56, R = 16, T = 16, B = 36;
	size_t final = p->count ? p->items[p->count - 1].done : 0;
	cpuu_buf_printf(b, "<svg id=\"progress\" data-final=\"%zu\" width=\"%.0f\" height=\"%.0f\" viewBox=\"0 0 %.0f %.0f\""
			   " role=\"img\" aria-label=\"accounts switched over time\">",
			final, W, H, W, H);
	size_t ymax = accounts > final ? accounts : final;
	if (!ymax)
		ymax = 1;
	cpuu_buf_printf(b, "<line x1=\"%.0f\" y1=\"%.0f\" x2=\"%.0f\" y2=\"%.0f\" stroke=\"#999\"/>", L, H - B, W - R,
			H - B);
	cpuu_buf_printf(b, "<line x1=\"%.0f\" y1=\"%.0f\" x2=\"%.0f\" y2=\"%.0f\" stroke=\"#999\"/>", L, T, L, H - B);
	cpuu_buf_printf(b, "<text x=\"%.0f\" y=\"%.0f\" font-size=\"11\" text-anchor=\"end\">%zu</text>", L - 4, T + 4,
			ymax);
	cpuu_buf_printf(b, "<text x=\"%.0f\" y=\"%.0f\" font-size=\"11\" text-anchor=\"end\">0</text>", L - 4, H - B + 4);
	if (!p->count) {
		cpuu_buf_printf(b, "<text x=\"%.0f\" y=\"%.0f\" font-size=\"13\" text-anchor=\"middle\" fill=\"#666\">"
				   "no account switched yet</text></svg>",
				W / 2, H / 2);
		return;
	}
	int64_t t0 = p->items[0].t, t1 = p->items[p->count - 1].t;
	double span = t1 > t0 ? (double)(t1 - t0) : 1;
	/* A step line: the count holds until the next point. */
	cpuu_buf_puts(b, "<polyline fill=\"none\" stroke=\"#4a7bd0\" stroke-width=\"2\" points=\"");
	double px = L, py = H - B;
	for (size_t i = 0; i < p->count; i++) {
		double x = p->count == 1 ? L : L + (W - L - R) * (double)(p->items[i].t - t0) / span;
		double y = H - B - (H - T - B) * (double)p->items[i].done / (double)ymax;
		cpuu_buf_printf(b, "%.1f,%.1f %.1f,%.1f ", x, py, x, y);
		px = x;
		py = y;
	}
	cpuu_buf_printf(b, "%.1f,%.1f\"/>", W - R > px ? W - R : px, py);
	char a[32], z[32];
	report_format_time(a, t0);
	report_format_time(z, t1);
	cpuu_buf_printf(b, "<text x=\"%.0f\" y=\"%.0f\" font-size=\"11\">%s</text>", L, H - 12, a);
	cpuu_buf_printf(b, "<text x=\"%.0f\" y=\"%.0f\" font-size=\"11\" text-anchor=\"end\">%s</text>", W - R, H - 12, z);
	cpuu_buf_printf(b, "<text x=\"%.0f\" y=\"%.0f\" font-size=\"12\" text-anchor=\"end\" fill=\"#4a7bd0\">%zu</text>",
			W - R, py - 6 < T + 10 ? T + 10 : py - 6, final);
	cpuu_buf_puts(b, "</svg>");
}

static void card(cpuu_buf *b, const char *id, const char *label, size_t n)
{
	cpuu_buf_printf(b, "<div class=\"card\"><b id=\"%s\">%zu</b>%s</div>", id, n, label);
}

static void user_card(cpuu_buf *b, const char *cls, const char *id, const char *label, size_t n, size_t of)
{
	cpuu_buf_printf(b, "<div class=\"card u-%s\"><b id=\"%s\">%zu</b>%s", cls, id, n, label);
	if (of)
		cpuu_buf_printf(b, " <span class=\"muted\">(%.1f%%)</span>", 100.0 * (double)n / (double)of);
	cpuu_buf_puts(b, "</div>");
}

int cpuu_report_html(cpuu_report *rep, const char *dir)
{
	cpuu_report_summary *s = NULL;
	cpuu_report_states *all = NULL;
	cpuu_report_progress *p = NULL;
	int rc = cpuu_report_summary_get(&s, rep);
	if (!rc)
		rc = cpuu_report_latest(&all, rep);
	if (!rc)
		rc = cpuu_report_progress_get(&p, rep);
	if (rc)
		goto out;

	cpuu_buf b = { 0 };
	char now[32];
	report_format_time(now, (int64_t)time(NULL));
	cpuu_buf_puts(&b, "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
			  "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; "
			  "style-src 'unsafe-inline'; script-src 'unsafe-inline'\">"
			  "<title>cpuu migration report</title><style>");
	cpuu_buf_puts(&b, css);
	cpuu_buf_printf(&b, "</style></head><body><h1>cpuu migration report</h1>"
			    "<div class=\"muted\">generated %s from the %s store</div>"
			    "<h2>Users (<span id=\"n-users\">%zu</span>)</h2><div class=\"cards users\">",
			now, cpuu_report_backend(rep), s->users);
	user_card(&b, "done", "users-done", "done: every account at the target", s->users_done, s->users);
	user_card(&b, "waiting", "users-waiting", "waiting for their switch", s->users_waiting, s->users);
	user_card(&b, "failed", "users-failed", "failed", s->users_failed, s->users);
	user_card(&b, "not_seen", "users-not-seen", "not seen: no Exchange account reported", s->users_not_seen,
		  s->users);
	cpuu_buf_puts(&b, "</div><h2>Accounts and records</h2><div class=\"cards\">");
	card(&b, "n-accounts", "accounts", s->accounts);
	card(&b, "n-done", "accounts switched", s->done);
	card(&b, "n-failures", "failures", s->n_failures);
	card(&b, "n-features", "feature records", s->features);
	card(&b, "n-records", "records", s->records);
	cpuu_buf_puts(&b, "</div><h2>Progress over time</h2>"
			  "<div class=\"muted\">accounts that reached switched or already_switched, by the time their "
			  "result file was written</div>");
	chart(&b, p, s->accounts);
	cpuu_buf_puts(&b, "<h2>Account outcomes (latest state)</h2><table id=\"outcomes\"><thead><tr><th>outcome</th>"
			  "<th>accounts</th><th></th></tr></thead><tbody>");
	for (size_t i = 0; i < s->n_outcomes; i++) {
		const cpuu_report_count *c = &s->by_outcome[i];
		double pct = s->accounts ? 100.0 * (double)c->count / (double)s->accounts : 0;
		cpuu_buf_puts(&b, "<tr><td class=\"o-");
		report_html_escape(&b, c->name);
		cpuu_buf_puts(&b, "\">");
		report_html_escape(&b, c->name);
		cpuu_buf_puts(&b, "</td><td class=\"n\" id=\"outcome-");
		report_html_escape(&b, c->name);
		cpuu_buf_printf(&b, "\">%zu</td><td style=\"width:240px\"><div class=\"bar\" style=\"width:%.1f%%\"></div>"
				    "</td></tr>",
				c->count, pct);
	}
	cpuu_buf_puts(&b, "</tbody></table><h2>Features (latest state; not counted as accounts)</h2>"
			  "<table id=\"features\"><thead><tr><th>feature</th><th>outcome</th><th>records</th></tr></thead><tbody>");
	for (size_t i = 0; i < s->n_features; i++) {
		const cpuu_report_feature_count *f = &s->by_feature[i];
		cpuu_buf_puts(&b, "<tr><td>");
		report_html_escape(&b, f->feature);
		cpuu_buf_puts(&b, "</td><td class=\"o-");
		report_html_escape(&b, f->outcome);
		cpuu_buf_puts(&b, "\">");
		report_html_escape(&b, f->outcome);
		cpuu_buf_puts(&b, "</td><td class=\"n\" id=\"feature-");
		report_html_escape(&b, f->feature);
		cpuu_buf_puts(&b, "-");
		report_html_escape(&b, f->outcome);
		cpuu_buf_printf(&b, "\">%zu</td></tr>", f->count);
	}
	if (!s->n_features)
		cpuu_buf_puts(&b, "<tr><td colspan=\"3\" class=\"muted\">no feature records</td></tr>");
	cpuu_buf_printf(&b, "</tbody></table><h2>Latest records</h2><p><input id=\"q\" type=\"search\" placeholder=\"search users, "
			    "accounts, outcomes, messages\" autocomplete=\"off\"> <span id=\"shown\">%zu</span> of "
			    "<span id=\"total-rows\">%zu</span> match (<span id=\"drawn\">0</span> shown) "
			    "<button id=\"more\" type=\"button\" style=\"display:none\">show more</button></p>"
			    "<table id=\"users\"><thead><tr><th>user</th>"
			    "<th>profile</th><th>account</th><th>mode</th><th>outcome</th><th>changes</th><th>message</th>"
			    "<th>when</th></tr></thead><tbody></tbody></table>"
			    "<script type=\"application/json\" id=\"rows\">[",
			all->count, all->count);
	for (size_t i = 0; i < all->count; i++) {
		const cpuu_report_state *x = &all->items[i];
		char when[32], changes[32];
		report_format_time(when, x->observed_at);
		snprintf(changes, sizeof changes, "%lld", (long long)x->rec.changes);
		const char *cells[] = { x->rec.user, x->rec.profile, x->rec.account, x->rec.mode,
					x->rec.outcome, changes, x->rec.message, when };
		cpuu_buf_puts(&b, i ? ",\n[" : "\n[");
		for (size_t j = 0; j < sizeof cells / sizeof *cells; j++) {
			if (j)
				cpuu_buf_puts(&b, ",");
			json_in_html(&b, cells[j]);
		}
		cpuu_buf_puts(&b, "]");
	}
	cpuu_buf_puts(&b, "]</script><script>");
	cpuu_buf_puts(&b, js);
	cpuu_buf_puts(&b, "</script></body></html>\n");
	size_t len;
	char *html = cpuu_buf_detach(&b, &len);
	if (!html) {
		rc = CPUU_ENOMEM;
		goto out;
	}
	rc = report_write_atomic(dir, "index.html", html, len);
	free(html);
out:
	cpuu_report_summary_free(s);
	cpuu_report_states_free(all);
	cpuu_report_progress_free(p);
	return rc;
}
