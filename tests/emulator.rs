//! Proves the emulator harness: moto starts (or is reused) and the SDK, configured by slsctl's
//! own loader through `AWS_ENDPOINT_URL`, reaches it.

mod support;

use support::Emulator;

#[tokio::test]
async fn sdk_reaches_the_emulator_through_aws_endpoint_url() {
    let emulator = Emulator::shared();
    let config = emulator.sdk_config().await;
    let account = slsctl::aws::Clients::new(&config)
        .account()
        .await
        .expect("GetCallerIdentity against the emulator");
    // moto answers with its fixed default account; a real AWS account would be another one.
    assert_eq!(account, "123456789012");
}
