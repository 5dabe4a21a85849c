fn main() -> std::process::ExitCode {
    slsctl::cli::run()
}
