"""The review pages' inline style and script, and the filter bar of a body page.

Inline so a page opens from disk with no network. The script only hides or dims what is already
on the page; without it every figure is still shown and every link still works.
"""

from __future__ import annotations

from html import escape

CSS = """
body{font:15px/1.6 -apple-system,"Segoe UI","PingFang SC","Microsoft YaHei","Noto Sans CJK SC",
 sans-serif;margin:0 auto;max-width:1100px;padding:12px 20px 60px;color:#222;background:#fff}
h1{font-size:22px;margin:8px 0}h2{font-size:17px;margin:28px 0 4px;padding-top:6px;
 border-top:2px solid #ccd}
a{color:#1a5fb4}a.home{font-size:13px}.meta{color:#555;font-size:13px;margin:2px 0 8px}
table{border-collapse:collapse;width:100%;font-size:13px;margin:6px 0 10px}
th,td{border:1px solid #dde;padding:3px 6px;vertical-align:top;text-align:left}
th{background:#f3f4f8;position:sticky;top:0}td.num{white-space:nowrap;text-align:right}
td.c{text-align:center}td.n{text-align:right}td.ctx a{color:#333;text-decoration:none}
td.ctx a:hover{text-decoration:underline}td.figs a{white-space:nowrap}td.ctx b{background:#ffe58f}
tr.flag td{background:#fff4f2}tr.rev td:first-child{border-left:4px solid #2e9d5b}
.sev-error{color:#b00020;font-weight:bold}.sev-warning{color:#b05a00}
nav.filters{position:sticky;top:0;background:#fafbfd;border:1px solid #dde;padding:6px 10px;
 font-size:13px;z-index:2}nav.filters label{margin-right:14px;white-space:nowrap}
details{margin:6px 0}summary{cursor:pointer;color:#444;font-size:13px}
.text{white-space:pre-wrap;border:1px solid #e4e4ec;padding:10px 14px;background:#fcfcfd;
 line-height:1.9}
mark.m{background:#fff1a8;border-radius:3px;padding:0 1px;scroll-margin-top:90px}
mark.none{background:#e6eefc}mark.flag{outline:2px solid #e0483e}
mark.rev{box-shadow:inset 0 -3px 0 #2e9d5b}mark.dim{background:none;opacity:.45}
mark:target,mark.dim:target{outline:3px solid #ff7a00;background:#ffd36b;opacity:1}
.lab{font-size:10px;color:#666;margin-left:2px;vertical-align:super}mark.none .lab{display:none}
.full{display:none;font-size:11px;color:#333;margin-left:3px;background:#eef;padding:0 2px}
body.detail .full{display:inline}body.detail .lab{display:none}
s.dropped{color:#999;text-decoration:line-through #c00}
.pages{font-size:13px}
input[type=search]{width:220px}
"""

JS = """
(function(){
  var q=function(s){return document.querySelector(s);};
  var all=function(s){return Array.prototype.slice.call(document.querySelectorAll(s));};
  function apply(){
    var ind=q('#f-ind'), flag=q('#f-flag'), none=q('#f-none'), det=q('#f-detail');
    if(!ind){return;}
    var want=ind.value, onlyFlag=flag&&flag.checked, hideNone=none&&none.checked;
    document.body.classList.toggle('detail', !!(det&&det.checked));
    all('tr.obs').forEach(function(r){
      r.hidden=(want&&r.dataset.ind!==want)||(onlyFlag&&!r.classList.contains('flag'));});
    all('mark.m').forEach(function(m){
      var off=(want&&m.dataset.ind!==want)||(onlyFlag&&!m.classList.contains('flag'))||
              (hideNone&&!m.dataset.ind);
      m.classList.toggle('dim', !!off);});
  }
  all('nav.filters select, nav.filters input').forEach(function(el){
    el.addEventListener('change', apply);});
  var params=new URLSearchParams(location.search);
  if(q('#f-ind')&&params.get('indicator')){q('#f-ind').value=params.get('indicator');}
  if(q('#f-flag')&&params.get('flagged')){q('#f-flag').checked=true;}
  apply();
  function reveal(){
    var id=decodeURIComponent(location.hash.slice(1)); if(!id){return;}
    var el=document.getElementById(id); if(!el){return;}
    for(var p=el.parentElement;p;p=p.parentElement){if(p.tagName==='DETAILS'){p.open=true;}}
    el.scrollIntoView({block:'center'});
  }
  window.addEventListener('hashchange', reveal); reveal();
  var find=q('#f-body');
  if(find){find.addEventListener('input', function(){
    var t=find.value.trim();
    all('tr.bodyrow').forEach(function(r){r.hidden=t&&r.dataset.body.indexOf(t)<0;});});}
  var year=q('#f-year');
  if(year){year.addEventListener('change', function(){
    var y=year.value;
    all('tr.bodyrow').forEach(function(r){
      r.hidden=y&&(' '+r.dataset.years+' ').indexOf(' '+y+' ')<0;});});}
})();
"""


def filters(
    years: list[str],
    indicators: list[str],
    names: dict[str, tuple[str, str]],
    n_flagged: int,
    has_checks: bool,
) -> str:
    """The sticky bar of a body page: jump to a year, filter by indicator or flagged figures."""
    year_links = " ".join(
        f'<a href="#y{escape(y)}">{escape(y)}</a>' for y in years if y
    )  # fmt: skip
    options = "".join(
        f'<option value="{escape(i)}">{escape(i)} {escape(names.get(i, ("", ""))[0])}</option>'
        for i in indicators
    )
    flagged = (
        f'<label><input type="checkbox" id="f-flag"> only figures flagged by consistency '
        f"checks ({n_flagged})</label>"
        if has_checks
        else "<label>(no consistency_checks table in this warehouse)</label>"
    )
    return (
        f'<nav class="filters">Years: {year_links or "unknown"} · '
        f'<label>Indicator <select id="f-ind"><option value="">all</option>{options}</select>'
        f"</label>{flagged}"
        '<label><input type="checkbox" id="f-none"> dim figures with no indicator</label>'
        '<label><input type="checkbox" id="f-detail"> show value · unit · indicator on every '
        "figure</label></nav>"
    )
