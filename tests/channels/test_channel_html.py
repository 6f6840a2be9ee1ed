"""html_to_text: safe plain text from mail bodies and rich-text fields."""

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hotline.channels import html_to_text
from hotline.channels.email import html_to_text as email_html_to_text


def test_reexported_from_email_module() -> None:
    assert email_html_to_text is html_to_text


@pytest.mark.parametrize(
    ("html", "expected"),
    [
        ("<p>第一段</p><p>第二段</p>", "第一段\n\n第二段"),
        ("第一行<br>第二行<br/>第三行", "第一行\n第二行\n第三行"),
        ("<div>一</div><div>二</div>", "一\n二"),
        ("<div>一</div><div><br></div><div>二</div>", "一\n\n二"),
        ("a &amp; b &lt;c&gt; &quot;d&quot; &#20013;&#x6587; &nbsp;e", 'a & b <c> "d" 中文 e'),
        ("<script>alert('x')</script>正文<style>p{color:red}</style>", "正文"),
        ("<SCRIPT type='text/javascript'>var a = '<div>';</SCRIPT>可见", "可见"),
        ("<head><title>标题</title><meta charset=gbk></head><body>内容</body>", "内容"),
        ("<!-- 注释 -->内容<!-- <div>隐藏</div> -->", "内容"),
        ("<ul><li>一</li><li>二</li></ul>", "- 一\n- 二"),
        ("<table><tr><td>地址</td><td>朝阳路</td></tr><tr><td>电话</td><td>123</td></tr></table>",
         "地址 朝阳路\n电话 123"),
        ("<pre>  保留\n    缩进</pre>", "保留\n    缩进"),
        ("<span>多个     空格\n\n和换行</span>", "多个 空格 和换行"),
        ("<blockquote>引用一<br>引用二</blockquote>回复", "> 引用一\n> 引用二\n\n回复"),
        ('<a href="https://v.example.cn/1">视频</a>', "视频 (https://v.example.cn/1)"),
        ('<a href="https://v.example.cn/1">https://v.example.cn/1</a>', "https://v.example.cn/1"),
        ('<a href="javascript:alert(1)">点我</a>', "点我"),
        ('<a href="mailto:a@b.cn">a@b.cn</a>', "a@b.cn"),
        ("<img src=x onerror=alert(1)>图片后", "图片后"),
        ("<svg><text>svg文字</text></svg>外面", "外面"),
        ("<head><style>x</style>没有闭合的 head<body>正文</body>", "正文"),
        ("纯文本，没有标签", "纯文本，没有标签"),
        ("", ""),
        ("<div", ""),
        ("<p>未闭合<div>嵌套", "未闭合\n嵌套"),
    ],
)
def test_html_to_text(html: str, expected: str) -> None:
    assert html_to_text(html) == expected


def test_qq_mail_style_body() -> None:
    html = (
        '<meta http-equiv="Content-Type" content="text/html; charset=GB18030">'
        '<div style="font-family:微软雅黑;font-size:14px">您好：</div>'
        '<div style="font-size:14px">路灯坏了&nbsp;&nbsp;很危险。</div><div><br></div>'
        '<div style="font-size:12px;">------------------&nbsp;原始邮件&nbsp;------------------'
        "</div><div><b>发件人:</b>&nbsp;12345热线</div>"
    )
    assert html_to_text(html) == (
        "您好：\n路灯坏了 很危险。\n\n------------------ 原始邮件 ------------------\n"
        "发件人: 12345热线"
    )


TAG = st.sampled_from(["div", "p", "b", "span", "script", "style", "a", "br", "td", "li",
                       "blockquote", "title", "img", "pre"])
PIECE = st.one_of(
    st.text(alphabet="路灯坏了 abc&;#>\"'=\n", max_size=8),
    TAG.map(lambda t: f"<{t}>"),
    TAG.map(lambda t: f"</{t}>"),
    TAG.map(lambda t: f'<{t} style="color:red" onclick="x()">'),
    st.sampled_from(["&nbsp;", "&amp;", "&lt;", "&#x4e2d;", "<!--", "-->", "<![CDATA[", "]]>"]),
)


@settings(max_examples=300, deadline=None)
@given(st.lists(PIECE, max_size=30).map("".join))
def test_never_returns_markup_from_the_source(html: str) -> None:
    text = html_to_text(html)
    # The only "<" in the source belong to tags, comments and CDATA (text pieces never contain
    # one), so unless an entity spells it, no "<" at all may reach the output.
    if "&lt;" not in html and "&#" not in html:
        assert "<" not in text
    assert "onclick" not in text and "color:red" not in text
