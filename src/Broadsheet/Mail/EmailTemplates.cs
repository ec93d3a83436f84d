using System.Collections.Concurrent;
using System.Text.Encodings.Web;
using Fluid;

namespace Broadsheet.Mail;

/// <summary>A rendered message: subject, HTML (CSS inlined) and plain text.</summary>
public sealed record RenderedEmail(string Subject, string Html, string Text);

/// <summary>
/// Liquid templates for transactional mail. Each message NAME has NAME.subject/.html/.txt.liquid built in;
/// a file of the same name under DATA/templates replaces the built-in one (picked up when it changes).
/// </summary>
public sealed class EmailTemplates(string dataPath)
{
    private static readonly FluidParser Parser = new();
    private readonly ConcurrentDictionary<string, (DateTime Stamp, IFluidTemplate Template)> _cache = new();
    private static readonly DateTime Missing = DateTime.FromFileTimeUtc(0);
    private readonly string _overrideDir = Path.Combine(dataPath, "templates");

    public RenderedEmail Render(string name, IReadOnlyDictionary<string, string> values)
    {
        var context = new TemplateContext();
        foreach (var (key, value) in values) context.SetValue(key, value);
        // Sites rarely override templates: without the folder there is nothing to look up per file.
        var overrides = Directory.Exists(_overrideDir);
        var subject = Load($"{name}.subject.liquid", overrides).Render(context, NullEncoder.Default).Trim();
        var html = Load($"{name}.html.liquid", overrides).Render(context, HtmlEncoder.Default);
        var text = Load($"{name}.txt.liquid", overrides).Render(context, NullEncoder.Default);
        return new RenderedEmail(subject, html, text);
    }

    private IFluidTemplate Load(string file, bool overrides)
    {
        var overridePath = Path.Combine(_overrideDir, file);
        // One system call per file: a missing file has the earliest time there is.
        var stamp = overrides ? File.GetLastWriteTimeUtc(overridePath) : Missing;
        if (_cache.TryGetValue(file, out var cached) && cached.Stamp == stamp) return cached.Template;

        var source = stamp != Missing ? File.ReadAllText(overridePath) : ReadBuiltIn(file);
        // Inlining CSS costs milliseconds, so it is done once here on the template rather than on every message.
        // Liquid output tags survive it; a Liquid tag inside a <table> could be moved by the HTML parser, so keep
        // conditional blocks around whole elements outside tables.
        if (file.EndsWith(".html.liquid", StringComparison.Ordinal))
            source = PreMailer.Net.PreMailer.MoveCssInline(source, removeStyleElements: true).Html;
        if (!Parser.TryParse(source, out var template, out var error))
            throw new InvalidOperationException($"Email template {file} does not parse: {error}");
        _cache[file] = (stamp, template);
        return template;
    }

    private static string ReadBuiltIn(string file)
    {
        var assembly = typeof(EmailTemplates).Assembly;
        var resource = assembly.GetManifestResourceNames().SingleOrDefault(n => n.EndsWith("Mail.Templates." + file, StringComparison.Ordinal))
            ?? throw new InvalidOperationException($"No built-in email template {file}.");
        using var reader = new StreamReader(assembly.GetManifestResourceStream(resource)!);
        return reader.ReadToEnd();
    }
}
