using KnowledgeQa.Retrieval;

namespace KnowledgeQa.Server.Tests;

/// <summary>What kqa serve checks and prints before the first request: its addresses and the web app's.</summary>
public sealed class StartupSettingsTests
{
    [Theory]
    [InlineData("http://127.0.0.1:5080", "http://127.0.0.1:5080/")]
    [InlineData("http://0.0.0.0:5080", "http://localhost:5080/")]
    [InlineData("http://[::]:5080", "http://localhost:5080/")]
    [InlineData("http://+:5080", "http://localhost:5080/")]
    [InlineData("http://*:8080", "http://localhost:8080/")]
    [InlineData("https://kb.example.org:8443", "https://kb.example.org:8443/")]
    public void The_web_app_address_is_one_a_browser_can_open(string listening, string expected) =>
        Assert.Equal(expected, ListenAddresses.WebAppUrl(listening));

    [Theory]
    [InlineData("not-an-address")]
    [InlineData("ftp://127.0.0.1:21")]
    [InlineData("http://127.0.0.1:port")]
    public void An_address_kestrel_cannot_listen_on_is_refused_before_it_tries(string url)
    {
        var settings = new ServerSettings { Urls = [url] };

        var error = Assert.Throws<InvalidOptionException>(settings.Validate);

        Assert.Contains($"'{url}'", error.Message);
    }

    [Theory]
    [InlineData("http://127.0.0.1:0")]
    [InlineData("http://localhost:5080")]
    [InlineData("http://0.0.0.0:5080")]
    [InlineData("https://[::1]:8443")]
    [InlineData("http://+:80")]
    public void Addresses_kestrel_listens_on_pass(string url) => new ServerSettings { Urls = [url] }.Validate();
}
