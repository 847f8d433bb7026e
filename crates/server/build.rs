//! Points the embedded web assets at `web/dist` when it has been built, or at a placeholder page
//! saying how to build it, so `cargo build` works on a fresh clone before `npm run build`.

use std::path::PathBuf;

fn main() {
    let manifest = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").unwrap_or_default());
    let dist = manifest.join("../../web/dist");
    println!("cargo:rerun-if-changed=../../web/dist");
    println!("cargo:rerun-if-changed=../../web/dist/index.html");
    let folder = if dist.join("index.html").exists() {
        dist
    } else {
        let out =
            PathBuf::from(std::env::var("OUT_DIR").unwrap_or_default()).join("web-placeholder");
        let field = out.join("field");
        let _ = std::fs::create_dir_all(&field);
        let page = "<!doctype html><html lang=\"fr\"><meta charset=\"utf-8\"><title>Terrain</title>\
                    <body><h1>Terrain</h1><p>L'application web n'est pas construite : lancez <code>make web</code> \
                    (ou <code>npm ci &amp;&amp; npm run build</code> dans <code>web/</code>) puis recompilez.</p>\
                    <p>The web app is not built: run <code>make web</code>, then rebuild.</p></body></html>";
        let _ = std::fs::write(out.join("index.html"), page);
        let _ = std::fs::write(field.join("index.html"), page);
        out
    };
    let folder = folder.canonicalize().unwrap_or(folder);
    println!("cargo:rustc-env=TERRAIN_WEB_DIST={}", folder.display());
}
