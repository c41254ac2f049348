/// The web view's style sheet and script, built into the binary: the pages load nothing from anywhere else
/// (`Content-Security-Policy: default-src 'none'` with `'self'` for these two).
enum WebAssets {
    /// Every text colour is set with its background, each pair at least 4.5:1 (WCAG AA): the browser test reads the
    /// served sheet and checks every such pair.
    static let css = """
        :root { color-scheme: light; }
        * { box-sizing: border-box; }
        body { margin: 0; font: 16px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif;
          color: #1b1f24; background: #ffffff; }
        a { color: #0b57b0; }
        a:focus-visible, button:focus-visible, input:focus-visible, select:focus-visible, textarea:focus-visible,
        summary:focus-visible { outline: 3px solid #0b57b0; outline-offset: 2px; }
        .skip { position: absolute; left: -999px; top: 0; background: #ffffff; padding: .5rem; }
        .skip:focus { left: .5rem; }
        header { background: #1f2a37; color: #ffffff; }
        header nav { display: flex; flex-wrap: wrap; gap: 1rem; align-items: center; max-width: 72rem;
          margin: 0 auto; padding: .75rem 1rem; }
        header a { color: #ffffff; text-decoration: none; }
        header a[aria-current="page"] { text-decoration: underline; text-underline-offset: .3em; }
        header .brand { font-weight: 700; margin-right: auto; }
        main { max-width: 72rem; margin: 0 auto; padding: 1rem; }
        footer { max-width: 72rem; margin: 2rem auto; padding: 0 1rem; color: #4a5360; font-size: .875rem; }
        h1 { font-size: 1.6rem; margin: .5rem 0 1rem; }
        h2 { font-size: 1.25rem; margin: 2rem 0 .75rem; }
        h3 { font-size: 1.05rem; margin: 0 0 .25rem; }
        .muted { color: #4a5360; }
        .pipeline { list-style: none; display: flex; flex-wrap: wrap; gap: 1.5rem; padding: 0; margin: 0; }
        .pipeline > li { flex: 1 1 14rem; border: 1px solid #c9d1da; border-radius: .5rem; padding: .75rem 1rem;
          position: relative; background: #ffffff; }
        .pipeline > li + li::before { content: "→"; position: absolute; left: -1.3rem; top: 40%; color: #4a5360;
          font-size: 1.2rem; }
        .pipeline dl { display: grid; grid-template-columns: auto 1fr; gap: .1rem .75rem; margin: .5rem 0 0;
          font-size: .925rem; }
        .pipeline dt { color: #4a5360; }
        .pipeline dd { margin: 0; overflow-wrap: anywhere; }
        .badge { display: inline-block; padding: .05rem .5rem; border-radius: 1rem; font-size: .875rem;
          font-weight: 600; border: 1px solid currentColor; }
        .ok { color: #0f5a28; background: #e3f4e8; }
        .wait { color: #6b4300; background: #fff2d6; }
        .bad { color: #8f1520; background: #fde7e9; }
        .idle { color: #3d4550; background: #eceff3; }
        .banner { padding: .75rem 1rem; border-radius: .5rem; margin: 0 0 1rem; border: 1px solid currentColor; }
        .scroll { overflow-x: auto; }
        table { border-collapse: collapse; width: 100%; font-size: .925rem; }
        caption { text-align: left; font-weight: 600; padding: .25rem 0; }
        th, td { text-align: left; padding: .4rem .6rem; border-bottom: 1px solid #dde3ea; vertical-align: top; }
        th { background: #f3f5f8; }
        code, .command { font-family: ui-monospace, "SFMono-Regular", Menlo, Consolas, monospace; font-size: .9em;
          overflow-wrap: anywhere; }
        .command { display: block; background: #f3f5f8; padding: .4rem .6rem; border-radius: .3rem; }
        .steps li { margin-bottom: .5rem; }
        .destructive { color: #8f1520; font-weight: 600; }
        .reasons { margin: .25rem 0 0 1rem; padding: 0; color: #8f1520; }
        .summary dl { display: grid; grid-template-columns: max-content 1fr; gap: .2rem 1rem; }
        .summary dt { color: #4a5360; }
        .summary dd { margin: 0; overflow-wrap: anywhere; }
        form.filters { display: flex; flex-wrap: wrap; gap: 1rem; align-items: end; margin-bottom: 1rem; }
        form label { display: block; font-weight: 600; font-size: .9rem; }
        select, input[type=text], textarea { font: inherit; padding: .3rem .4rem; border: 1px solid #6b7684;
          border-radius: .3rem; min-width: 10rem; }
        textarea { width: 100%; max-width: 40rem; }
        button { font: inherit; padding: .4rem .9rem; border-radius: .3rem; border: 1px solid #1f2a37;
          background: #1f2a37; color: #ffffff; cursor: pointer; }
        button.secondary { background: #ffffff; color: #1f2a37; }
        .decide fieldset { border: 1px solid #c9d1da; border-radius: .5rem; padding: .75rem 1rem; }
        .decide .row { margin: .5rem 0; }
        .check label { display: inline; font-weight: 400; }
        @media (max-width: 40rem) {
          .pipeline > li + li::before { content: "↓"; left: 50%; top: -1.4rem; }
          th, td { padding: .3rem .4rem; }
        }
        """

    /// Refreshes the page's content every `data-refresh` seconds while it is visible and nobody is typing in a
    /// form; without JavaScript the page is the same, refreshed by reloading it.
    static let javaScript = """
        "use strict";
        (function () {
          var main = document.getElementById("main");
          if (!main || !main.dataset.refresh) { return; }
          var seconds = Math.max(5, parseInt(main.dataset.refresh, 10) || 10);
          function busy() {
            var active = document.activeElement;
            return active && /^(INPUT|TEXTAREA|SELECT|BUTTON)$/.test(active.tagName);
          }
          function refresh() {
            if (document.hidden || busy()) { return; }
            fetch(window.location.href, { credentials: "same-origin", headers: { "Accept": "text/html" } })
              .then(function (response) { return response.ok ? response.text() : null; })
              .then(function (text) {
                if (!text) { return; }
                var fresh = new DOMParser().parseFromString(text, "text/html").getElementById("main");
                if (fresh && !busy()) { main.replaceChildren.apply(main, Array.from(fresh.childNodes)); }
              })
              .catch(function () {});
          }
          window.setInterval(refresh, seconds * 1000);
        })();
        """
}
