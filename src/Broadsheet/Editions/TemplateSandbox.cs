using System.Text;
using System.Text.Encodings.Web;
using Fluid;
using Fluid.Ast;
using Fluid.Values;

namespace Broadsheet.Editions;

/// <summary>
/// Runs editors' Liquid templates so that no template can reach files or .NET objects, run for ever, or exhaust the
/// node's memory. Fluid already sees only plain values and has no file provider; on top of its step and recursion
/// limits this refuses <c>include</c>/<c>render</c> when parsing, bounds ranges such as <c>(1..n)</c> (Fluid builds
/// them as arrays), and counts every character a template builds (output, captures, filter results) against a budget.
/// </summary>
public static class TemplateSandbox
{
    public const int MaxSteps = 1_000_000;
    public const int MaxRecursion = 20;
    public const int MaxRangeItems = 10_000;

    /// <summary>Characters one render may build in all: its output, its captures and every filter result together.</summary>
    public const long MaxCharacters = 20_000_000;

    private const string BudgetKey = "broadsheet:budget";
    private static readonly FluidParser Parser = new();

    /// <summary>The options every edition template runs with.</summary>
    public static TemplateOptions Options { get; } = CreateOptions();

    /// <summary>Parses and checks a template; <paramref name="error"/> says what is wrong when it cannot be used.</summary>
    public static bool TryParse(string source, out IFluidTemplate? template, out string? error)
    {
        template = null;
        if (!Parser.TryParse(source, out var parsed, out error)) return false;
        try
        {
            template = new Guard().VisitTemplate(parsed);
            return true;
        }
        catch (EditionTemplateException e)
        {
            error = e.Message;
            return false;
        }
    }

    /// <summary>Renders with a fresh character budget; the template's own faults come out as <see cref="EditionTemplateException"/>.</summary>
    public static string Render(IFluidTemplate template, IReadOnlyDictionary<string, object?> model, TextEncoder encoder)
    {
        var context = new TemplateContext(Options);
        foreach (var (key, value) in model) context.SetValue(key, value);
        var budget = new Budget();
        context.AmbientValues[BudgetKey] = budget;
        using var writer = new BudgetWriter(budget);
        try
        {
            // Every value is in memory and no filter does I/O, so this completes synchronously.
            template.RenderAsync(writer, encoder, context).AsTask().GetAwaiter().GetResult();
        }
        catch (InvalidOperationException e) when (e is not EditionTemplateException && e.Message.StartsWith("The maximum", StringComparison.Ordinal))
        {
            // Fluid reports its step limit with the message of its recursion limit; say what both mean.
            throw new EditionTemplateException($"The template did too much work: more than {MaxSteps:N0} steps or {MaxRecursion} levels of nesting. Check its loops.");
        }
        return writer.ToString();
    }

    private static TemplateOptions CreateOptions()
    {
        var options = new TemplateOptions { MaxSteps = MaxSteps, MaxRecursion = MaxRecursion };
        foreach (var (name, filter) in options.Filters.ToList()) options.Filters.AddFilter(name, Counted(filter));
        return options;
    }

    /// <summary>A filter whose input and result count against the budget, checked before the filter runs as far as its arguments tell.</summary>
    private static FilterDelegate Counted(FilterDelegate filter) => async (input, arguments, context) =>
    {
        var budget = BudgetOf(context);
        // Output can grow with input times argument (replace, join): refuse before building it.
        long widest = 0;
        for (var i = 0; i < arguments.Count; i++) widest = Math.Max(widest, Size(arguments.At(i)));
        budget.Check(Size(input) * Math.Max(1, widest));
        return Charge(context, await filter(input, arguments, context));
    };

    private static FluidValue Charge(TemplateContext context, FluidValue value)
    {
        BudgetOf(context).Spend(Size(value));
        return value;
    }

    /// <summary>The render's budget; a context made elsewhere with <see cref="Options"/> gets one on first use.</summary>
    private static Budget BudgetOf(TemplateContext context)
    {
        if (context.AmbientValues.TryGetValue(BudgetKey, out var b) && b is Budget budget) return budget;
        budget = new Budget();
        context.AmbientValues[BudgetKey] = budget;
        return budget;
    }

    /// <summary>Characters a value holds: strings by length, arrays by their items (one array may repeat one long string).</summary>
    private static long Size(FluidValue value) => value switch
    {
        StringValue s => s.ToStringValue().Length,
        ArrayValue a => a.Values.Count + a.Values.Sum(v => v is ArrayValue or StringValue ? Size(v) : 8),
        _ => 8,
    };

    /// <summary>The characters one render has built; exceeding it stops the render.</summary>
    private sealed class Budget
    {
        private long _spent;

        public void Spend(long characters)
        {
            _spent += characters;
            Check(0);
        }

        public void Check(long more)
        {
            if (_spent + more > MaxCharacters)
                throw new EditionTemplateException($"The template builds too much text (more than {MaxCharacters:N0} characters). Check its loops and filters.");
        }
    }

    private sealed class BudgetWriter(Budget budget) : StringWriter
    {
        public override void Write(char value)
        {
            budget.Spend(1);
            base.Write(value);
        }

        public override void Write(char[] buffer, int index, int count)
        {
            budget.Spend(count);
            base.Write(buffer, index, count);
        }

        public override void Write(ReadOnlySpan<char> buffer)
        {
            budget.Spend(buffer.Length);
            base.Write(buffer);
        }

        public override void Write(string? value)
        {
            budget.Spend(value?.Length ?? 0);
            base.Write(value);
        }

        public override void Write(StringBuilder? value)
        {
            budget.Spend(value?.Length ?? 0);
            base.Write(value);
        }
    }

    /// <summary>Refuses file access when parsing, bounds ranges, and makes captures write through the budget.</summary>
    private sealed class Guard : AstRewriter
    {
        protected override Statement VisitIncludeStatement(IncludeStatement include) =>
            throw new EditionTemplateException("Templates cannot include other files: {% include %} is not available.");

        protected override Statement VisitRenderStatement(RenderStatement render) =>
            throw new EditionTemplateException("Templates cannot include other files: {% render %} is not available.");

        protected override Expression VisitRangeExpression(RangeExpression range) =>
            new BoundedRange((RangeExpression)base.VisitRangeExpression(range));

        protected override Statement VisitCaptureStatement(CaptureStatement capture) =>
            new BoundedCapture((CaptureStatement)base.VisitCaptureStatement(capture));
    }

    private sealed class BoundedRange(RangeExpression range) : Expression
    {
        public override async ValueTask<FluidValue> EvaluateAsync(TemplateContext context)
        {
            var from = (await range.From.EvaluateAsync(context)).ToNumberValue();
            var to = (await range.To.EvaluateAsync(context)).ToNumberValue();
            if (Math.Abs(to - from) >= MaxRangeItems)
                throw new EditionTemplateException($"A range such as (1..n) may hold at most {MaxRangeItems:N0} numbers.");
            return await range.EvaluateAsync(context);
        }
    }

    /// <summary>Fluid's capture, writing through the budget so that a loop inside a capture is bounded as it runs.</summary>
    private sealed class BoundedCapture(CaptureStatement capture) : Statement
    {
        public override async ValueTask<Completion> WriteToAsync(TextWriter output, TextEncoder encoder, TemplateContext context)
        {
            using var writer = new BudgetWriter(BudgetOf(context));
            var completion = Completion.Normal;
            foreach (var statement in capture.Statements)
            {
                completion = await statement.WriteToAsync(writer, encoder, context);
                if (completion != Completion.Normal) break;
            }
            FluidValue result = new StringValue(writer.ToString(), encode: false);
            if (context.Captured is { } captured) result = await captured(capture.Identifier, result, context);
            context.SetValue(capture.Identifier, result);
            return completion;
        }
    }
}

/// <summary>An edition template that does not parse or broke a sandbox limit; the message is meant for the editor.</summary>
public sealed class EditionTemplateException(string message) : InvalidOperationException(message);
