namespace KnowledgeQa.Retrieval.Tests.Documents;

/// <summary>
/// What a careful reader gets from one real-world file: phrases its text must hold (in reading order
/// of the list), text that must not be there (markup, front matter, scripts, duplicated text boxes),
/// its title, a heading it must have as a heading block, or, for a file with no text to give, the
/// words its refusal must say.
/// </summary>
internal sealed record RealWorldExpectation(string File)
{
    public string[] Contains { get; init; } = [];
    public string[] Absent { get; init; } = [];
    public string? Title { get; init; }
    public string? Heading { get; init; }
    public string[]? Refused { get; init; }
}

internal static class RealWorldExpectations
{
    private static readonly string[] Markup = ["{#", ":::", "<div", "</div>", "outline: deep"];

    // Reasons: only a PDF of images is "scanned"; an empty or picture-only Word file says which.
    private static readonly string[] Scanned = ["no text layer", "only images (scanned?)", "OCR"];

    public static readonly RealWorldExpectation[] All =
    [
        // Word files (mammoth.js test documents)
        new("docx/comments.docx") { Contains = ["Ouch.", "Comments", "Michael Williamson on “Ouch”: A tachyon walks into a bar.", "Michael Williamson: Fin."] },
        new("docx/embedded-style-map.docx") { Contains = ["Walking on imported air"] },
        new("docx/empty.docx") { Refused = ["no text", "the document is empty"] },
        new("docx/endnotes.docx") { Contains = ["Ouch[i].[ii]", "Endnotes", "[i] A tachyon walks into a bar.", "[ii] Fin."], Heading = "Endnotes" },
        new("docx/external-picture.docx") { Refused = ["no text", "only a picture"] },
        new("docx/footnote-hyperlink.docx") { Contains = ["[1]", "Footnotes", "[1] Example"], Heading = "Footnotes" },
        new("docx/footnotes.docx")
        {
            Contains = ["Ouch[1].[2]", "Footnotes", "[1] A tachyon walks into a bar.", "[2] Fin."],
            Heading = "Footnotes",
        },
        new("docx/simple-list.docx") { Contains = ["Apple\nBanana"] },
        new("docx/single-paragraph.docx") { Contains = ["Walking on imported air"] },
        new("docx/strict-format.docx") { Contains = ["Test"] },
        new("docx/strikethrough.docx") { Contains = ["Today's Special: Salmon Sold out"] },
        new("docx/tables.docx") { Contains = ["Above", "Top left | Top right\nBottom left | Bottom right", "Below"] },
        // Word writes a text box twice (a shape and its VML fallback); it must be read once.
        new("docx/text-box.docx") { Contains = ["Datum plane"], Absent = ["Datum planeDatum plane"] },
        new("docx/tiny-picture-target-base-relative.docx") { Refused = ["no text", "only a picture"] },
        new("docx/tiny-picture.docx") { Refused = ["no text", "only a picture"] },
        new("docx/underline.docx") { Contains = ["The Sunset Tree"] },
        new("docx/utf8-bom.docx") { Contains = ["This XML has a byte order mark."] },

        // HTML fragments (no <html> or <body>): read as content, form controls included.
        new("html-fragments/404.html") { Refused = ["no text", "without running its scripts"] },
        new("html-fragments/template-1.html") { Contains = ["Type here", "{{ text }}"], Absent = ["<input", "<p>"] },
        new("html-fragments/template-2.html") { Contains = ["A Child Component!"], Absent = ["<h2>", "ChildComp"] },
        new("html-fragments/template-3.html") { Contains = ["{{ childMsg }}"], Absent = ["<p>"] },
        new("html-fragments/template-4.html")
        {
            Contains = ["new todo", "Add Todo", "{{ todo.text }}", "Hide completed"],
            Absent = ["<button", "<li", "v-model"],
        },

        // PDFs (py-pdf sample files)
        new("pdf/001-trivial__minimal-document.pdf") { Contains = ["Lorem ipsum dolor sit amet, consetetur sadipscing elitr"] },
        new("pdf/002-trivial-libre-office-writer__002-trivial-libre-office-writer.pdf") { Contains = ["Lorem ipsum dolor sit amet", "Stet clita kasd gubergren"] },
        new("pdf/003-pdflatex-image__pdflatex-image.pdf") { Contains = ["Your Chapter", "Lorem ipsum dolor sit amet"], Title = "1 Your Chapter" },
        new("pdf/004-pdflatex-4-pages__pdflatex-4-pages.pdf") { Contains = ["Hello, here is some text without a meaning.", "Huardest gefburn"] },
        new("pdf/005-libreoffice-writer-password__libreoffice-writer-password.pdf") { Refused = ["encrypted", "password"] },
        new("pdf/006-pdflatex-outline__pdflatex-outline.pdf") { Contains = ["Foo", "Hello, here is some text without a meaning."], Title = "Foo" },
        new("pdf/007-imagemagick-images__imagemagick-ASCII85Decode.pdf") { Refused = Scanned },
        new("pdf/007-imagemagick-images__imagemagick-CCITTFaxDecode.pdf") { Refused = Scanned },
        // Its "Background" labels lie outside the 4-point pages: no viewer shows them.
        new("pdf/007-imagemagick-images__imagemagick-images.pdf") { Refused = [.. Scanned, "6 pages"] },
        new("pdf/007-imagemagick-images__imagemagick-lzw.pdf") { Refused = Scanned },
        new("pdf/008-reportlab-inline-image__inline-image.pdf") { Contains = ["Test"] },
        new("pdf/009-pdflatex-geotopo__GeoTopo-komprimiert.pdf")
        {
            Contains = ["Einführung in die Geometrie und Topologie", "Martin Thoma", "Zariski-Topologie", "Stichwortverzeichnis"],
            Title = "Geometrie und Topologie",
        },
        new("pdf/010-pdflatex-forms__pdflatex-forms.pdf") { Contains = ["Name", "Check", "Submit"] },
        new("pdf/011-google-doc-document__google-doc-document.pdf")
        {
            Contains = ["Example document", "Beautiful is better than ugly."],
            Title = "PDF Example Document",
        },
        new("pdf/012-libreoffice-form__libreoffice-form.pdf") { Contains = ["Example for a Form", "Gender", "Agree to privacy policy"] },
        new("pdf/013-reportlab-overlay__reportlab-overlay.pdf") { Contains = ["Signed: 12-34-2007T12:34:56", "Name: Foo Bar"] },
        new("pdf/014-outlines__mistitled_outlines_example.pdf") { Contains = ["Hello, here is some text without a meaning."] },
        new("pdf/015-arabic__habibi-oneline-cmap.pdf") { Contains = ["حَبيبي habibi حَبيبي"] },
        // Four pages turned 0, 90, 180 and 270 degrees: each reads like the upright one.
        new("pdf/015-arabic__habibi-rotated.pdf") { Contains = ["حَبيبي habibi حَبيبي\n\nحَبيبي habibi حَبيبي\n\nحَبيبي habibi حَبيبي\n\nحَبيبي habibi حَبيبي"] },
        new("pdf/015-arabic__habibi.pdf") { Contains = ["حَبيبي habibi حَبيبي"], Title = "habibi" },
        new("pdf/016-libre-office-link__libre-office-link.pdf") { Contains = ["This is a link to an awesome blog."] },
        // Its cross-reference table is broken: PdfPig (like poppler's pdftotext) finds one empty page.
        new("pdf/017-unreadable-meta-data__unreadablemetadata.pdf") { Refused = ["no text", "neither text nor images", "damaged"] },
        new("pdf/018-base64-image__base64image.pdf") { Contains = ["Produced with a Trial Version of PDF Annotator"] },
        new("pdf/019-grayscale-image__grayscale-image.pdf") { Refused = Scanned },
        new("pdf/020-xmp__output_with_metadata_pymupdf.pdf") { Contains = ["Hello, World!"] },
        new("pdf/021-pdfa__crazyones-pdfa.pdf") { Contains = ["The Crazy Ones", "Heres to the crazy ones."], Title = "The Crazy Ones" },
        new("pdf/022-pdfkit__pdfkit.pdf") { Contains = ["Header", "Foo: bar"] },
        new("pdf/023-cmyk-image__cmyk-image.pdf") { Refused = Scanned },
        new("pdf/024-annotations__annotated_pdf.pdf") { Contains = ["Some text.", "Line 2"] },
        new("pdf/025-attachment__with-attachment.pdf") { Contains = ["Lorem ipsum dolor sit amet"] },
        new("pdf/026-latex-multicolumn__multicolumn.pdf")
        {
            Contains = ["Two-Column Document with Lorem Ipsum", "Abstract"],
            Title = "Two-Column Document with Lorem Ipsum",
        },

        // VitePress pages (Vue 3 guide, Simplified Chinese): heading ids, containers, raw HTML, front matter.
        new("vitepress-zh/best-practices_performance.md") { Title = "性能优化", Heading = "概述", Contains = ["PageSpeed Insights"], Absent = Markup },
        new("vitepress-zh/best-practices_security.md")
        {
            Title = "安全", Heading = "报告漏洞",
            Contains = ["警告", "用户提供的 HTML 永远不能被认为是 100% 安全的"], Absent = Markup,
        },
        new("vitepress-zh/built-ins_suspense.md") { Title = "Suspense", Heading = "异步依赖", Contains = ["实验性功能", "是一项实验性功能"], Absent = Markup },
        new("vitepress-zh/built-ins_transition.md")
        {
            Title = "Transition", Heading = "<Transition> 组件",
            Contains = ["在演练场中尝试一下", "仅支持单个元素或组件作为其插槽内容", "MyTransition.vue"],
            Absent = [.. Markup, "import Basic from"],
        },
        new("vitepress-zh/components_events.md") { Title = "组件事件", Heading = "触发与监听事件", Contains = ["组件触发的事件没有冒泡机制"], Absent = Markup },
        new("vitepress-zh/components_props.md") { Title = "Props", Contains = ["注意", "中的参数不可以访问"], Absent = Markup },
        new("vitepress-zh/components_slots.md") { Title = "插槽 Slots", Heading = "插槽内容与出口", Absent = Markup },
        new("vitepress-zh/essentials_computed.md") { Title = "计算属性", Heading = "基础示例", Absent = [.. Markup, "VueSchoolLink", "免费的 Vue.js 计算属性课程"] },
        new("vitepress-zh/essentials_lifecycle.md") { Title = "生命周期钩子", Heading = "注册周期钩子", Absent = Markup },
        new("vitepress-zh/essentials_template-refs.md") { Title = "模板引用", Heading = "访问模板引用", Absent = Markup },
        new("vitepress-zh/extras_reactivity-in-depth.md")
        {
            Title = "深入响应式系统", Heading = "什么是响应性",
            Contains = ["这里和下面的代码片段皆旨在以最简单的形式解释核心概念"], Absent = Markup,
        },
    ];

    /// <summary>Files of the folder that are about the collection, not in it.</summary>
    public static bool IsMetadata(string relativePath) =>
        relativePath is "README.md" or "pdf/files.json";

    public static TheoryData<string> Files() => new(All.Select(e => e.File));
}
