"""The compare page's one small inline script and the styles its charts need.

What it does, for every ``figure.chart`` made by :mod:`r2k.reports.chart_svg`:

- **hover**: the pointer's date (nearest point of the chart's x) gets a guide line and a box
  with that date and each visible series' value, formatted as the tables format them
  (``$45,173.71``, ``7.83%``);
- **legend**: a click on an entry hides or shows that series (every scale), and the hover box
  leaves hidden series out;
- **log scale**: the growth chart's checkbox switches between its linear and log drawings.

It reads each chart's numbers from the JSON block beside it, loads nothing and sends nothing.
"""

from __future__ import annotations

CSS = """
figure.chart{margin:14px 0}figure.chart figcaption{font-weight:600;font-size:14px;margin-bottom:4px}
figure.chart .plot{position:relative}figure.chart .plot svg{width:100%;height:auto;display:block}
figure.chart ul.legend svg{width:26px;height:10px;display:inline-block;flex:none}
figure.chart[data-scale=log] .scale-lin,figure.chart[data-scale=lin] .scale-log{display:none}
figure.chart .off{display:none}
figure.chart .tip{position:absolute;top:4px;background:rgba(255,255,255,.95);border:1px solid #bbb;border-radius:3px;
padding:4px 7px;font-size:12px;pointer-events:none;white-space:nowrap;font-variant-numeric:tabular-nums}
figure.chart .tip b{display:block}figure.chart .tip i{display:inline-block;width:9px;height:9px;margin-right:4px}
ul.legend{list-style:none;padding:0;margin:4px 0;display:flex;flex-wrap:wrap;gap:4px 14px;font-size:12px}
ul.legend button{background:none;border:0;padding:2px;cursor:pointer;font:inherit;display:flex;align-items:center;gap:4px}
ul.legend button[aria-pressed=false]{opacity:.35;text-decoration:line-through}ul.legend .same{color:#777}
label.logt{font-weight:400;font-size:12px;margin-left:12px}
"""

SCRIPT = r"""(function(){
function fmt(v,f){if(v===null||v===undefined)return"-";
if(f==="money")return"$"+v.toLocaleString("en-US",{minimumFractionDigits:2,maximumFractionDigits:2});
if(f==="num")return v.toFixed(2);if(f==="count")return String(v);if(f==="mult")return v.toFixed(2)+"x";
return(100*v).toFixed(2)+"%";}
function near(px,x){var lo=0,hi=px.length-1;while(hi-lo>1){var m=(lo+hi)>>1;if(px[m]<x)lo=m;else hi=m;}
return Math.abs(px[lo]-x)<=Math.abs(px[hi]-x)?lo:hi;}
document.querySelectorAll("figure.chart").forEach(function(fig){
var d=JSON.parse(fig.querySelector("script.chart-data").textContent),svg=fig.querySelector("svg"),
ax=d.xref&&JSON.parse(document.getElementById(d.xref).textContent),
tip=fig.querySelector(".tip"),guide=fig.querySelector(".guide"),hidden={};if(ax){d.x=ax.x;d.px=ax.px;}
var colors=d.series.map(function(_,i){var m=fig.querySelector('.s[data-s="'+i+'"]');
return m?(m.getAttribute("stroke")||m.getAttribute("fill")):"#000";});
function show(i){var vb=svg.viewBox.baseVal;guide.setAttribute("x1",d.px[i]);guide.setAttribute("x2",d.px[i]);
guide.setAttribute("visibility","visible");var h="<b>"+d.x[i]+"</b>";
d.series.forEach(function(s,k){if(!hidden[k])h+='<div data-s="'+k+'"><i style="background:'+colors[k]+'"></i>'+
s.name.replace(/&/g,"&amp;").replace(/</g,"&lt;")+": <span>"+fmt(s.y[i],d.fmt)+"</span></div>";});
tip.innerHTML=h;tip.hidden=false;var r=svg.getBoundingClientRect(),x=d.px[i]*r.width/vb.width;
tip.style.left=(x>r.width/2?Math.max(0,x-tip.offsetWidth-12):x+12)+"px";tip.setAttribute("data-i",i);}
svg.addEventListener("mousemove",function(e){var r=svg.getBoundingClientRect();
show(near(d.px,(e.clientX-r.left)*svg.viewBox.baseVal.width/r.width));});
svg.addEventListener("mouseleave",function(){tip.hidden=true;guide.setAttribute("visibility","hidden");});
fig.querySelectorAll("ul.legend button").forEach(function(b){b.addEventListener("click",function(){
var k=+b.getAttribute("data-s");hidden[k]=!hidden[k];b.setAttribute("aria-pressed",hidden[k]?"false":"true");
fig.querySelectorAll('svg .s[data-s="'+k+'"]').forEach(function(m){m.classList.toggle("off",!!hidden[k]);});
if(!tip.hidden)show(+tip.getAttribute("data-i"));});});
var box=fig.querySelector("input.logscale");if(box)box.addEventListener("change",function(){
fig.setAttribute("data-scale",box.checked?"log":"lin");});
});})();"""


def script_tag() -> str:
    """The page's one inline script (put it last in the body)."""
    return f"<script>{SCRIPT}</script>"
