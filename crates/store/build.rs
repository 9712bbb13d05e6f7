// sqlx::migrate! embeds the migrations when the crate compiles: a new file must rebuild it.
fn main() {
    println!("cargo:rerun-if-changed=migrations");
}
