"""Documents: render_pdf (xhtml2pdf, the CJK font) and the 申请表 built from an application's snapshot."""
