// The quantization report (quant_report.html from test mode): self-contained, complete, and rendered
// by a real browser — headless Chromium (Debian's, installed by scripts/setup.sh) loads it without
// console errors and its screenshot is not blank.
#include <gtest/gtest.h>

#include <opencv2/imgcodecs.hpp>

#include <filesystem>
#include <fstream>
#include <regex>
#include <sstream>

#include "cli_runner.hpp"
#include "dputk/common/atomic_file.hpp"
#include "dputk/quantizer/quant_info.hpp"

namespace fs = std::filesystem;
using dputk::test::data_path;
using dputk::test::run_cli;
using dputk::test::run_command;

namespace {

TEST(QuantReport, SelfContainedCompleteAndRenderedByChromium) {
  const std::string dir = dputk::test::scratch_dir("quant_report");
  const std::string common = "--model " + data_path("cifar10/resnet20.onnx") + " --data_dir " + data_path("cifar10/test_batch.bin") +
                             " --preprocess cifar --output_dir " + dir;
  auto calib = run_cli("dpu-quantize", common + " --quant_mode calib --subset_len 64");
  ASSERT_EQ(calib.code, 0) << calib.out;
  auto test = run_cli("dpu-quantize", common + " --quant_mode test --skip 64 --subset_len 200 --compare_float --sensitivity --sensitivity_len 16");
  ASSERT_EQ(test.code, 0) << test.out;
  EXPECT_NE(test.out.find("Sensitivity (only one layer quantized, 16 images), worst first:"), std::string::npos) << test.out;
  EXPECT_NE(test.out.find("[VAIQ_NOTE]: =>Quantization report: " + dir + "/quant_report.html"), std::string::npos) << test.out;
  const std::string html = dputk::read_file(dir + "/quant_report.html");
  ASSERT_FALSE(html.empty());
  // Self-contained: no script or stylesheet from elsewhere, no address but SVG's namespace.
  EXPECT_EQ(html.find("<script src"), std::string::npos);
  EXPECT_EQ(html.find("<link"), std::string::npos);
  EXPECT_EQ(html.find("https://"), std::string::npos);
  EXPECT_EQ(std::regex_replace(html, std::regex("http://www\\.w3\\.org/2000/svg"), "").find("http://"), std::string::npos);
  // One table row per int8 activation tensor of quant_info.json, a histogram each, the sensitivity table.
  const auto info = dputk::read_quant_info(dir + "/quant_info.json");
  const std::regex row("<tr( class=\"bad\")?><td>[0-9]+</td>"), cell("<div class=\"cell\">");
  const std::ptrdiff_t rows = std::distance(std::sregex_iterator(html.begin(), html.end(), row), std::sregex_iterator());
  EXPECT_EQ(static_cast<std::size_t>(rows), info.output.size()) << "rows of the layer table";
  EXPECT_NE(html.find("<h2>Sensitivity</h2>\n<p>The network with only one layer quantized"), std::string::npos);
  EXPECT_NE(html.find("float/int8 top-1 agreement"), std::string::npos);
  EXPECT_EQ(std::distance(std::sregex_iterator(html.begin(), html.end(), cell), std::sregex_iterator()), rows) << "histograms";
  // A real browser.
  const std::string png = dir + "/report.png";
  fs::remove(png);
  auto browser = run_command("timeout 120 chromium --headless --no-sandbox --disable-gpu --hide-scrollbars --window-size=1200,1600 "
                             "--enable-logging=stderr --v=0 --screenshot=" + png + " file://" + dir + "/quant_report.html");
  ASSERT_EQ(browser.code, 0) << browser.out;
  EXPECT_EQ(browser.out.find("CONSOLE"), std::string::npos) << "console messages:\n" << browser.out;
  EXPECT_EQ(browser.out.find("Uncaught"), std::string::npos) << browser.out;
  const cv::Mat shot = cv::imread(png, cv::IMREAD_GRAYSCALE);
  ASSERT_FALSE(shot.empty()) << browser.out;
  EXPECT_EQ(shot.cols, 1200);
  const double inked = static_cast<double>(cv::countNonZero(shot < 200)) / static_cast<double>(shot.total());
  EXPECT_GT(inked, 0.02) << "the screenshot is (nearly) blank";
  EXPECT_LT(inked, 0.6) << "the screenshot is (nearly) all dark";
}

}  // namespace
